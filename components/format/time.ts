/**
 * Time formatting for axes, tooltips and tables (browser time zone).
 * Pure: `now` is always passed in, never read, so results are reproducible.
 * Hand-written rather than date-fns: the handful of patterns below cost a few lines here, and
 * date-fns' formatter (with its locale) would be in every page's first-load JavaScript.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Candidate tick spacings, smallest first. */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");
const TOKENS: Record<string, (d: Date) => string> = {
  yyyy: (d) => String(d.getFullYear()).padStart(4, "0"),
  MMM: (d) => MONTHS[d.getMonth()],
  MM: (d) => two(d.getMonth() + 1),
  dd: (d) => two(d.getDate()),
  d: (d) => String(d.getDate()),
  HH: (d) => two(d.getHours()),
  mm: (d) => two(d.getMinutes()),
  ss: (d) => two(d.getSeconds()),
};
const TOKEN = /yyyy|MMM|MM|dd|d|HH|mm|ss|'[^']*'/g;

/**
 * `ts` in local time by a pattern of the date-fns/Unicode kind: yyyy, MM, MMM (Jan…Dec), dd, d,
 * HH, mm, ss, and 'quoted' literal text; everything else is kept as it is.
 */
export function formatTime(ts: number | Date, pattern: string): string {
  const date = new Date(ts);
  return pattern.replace(TOKEN, (token) => (token.startsWith("'") ? token.slice(1, -1) : TOKENS[token](date)));
}

/** The local midnight starting the day of `ts`. */
function startOfDay(ts: number): number {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const TICK_STEPS = [
  SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY,
];

/** The tick spacing giving at most `maxTicks` ticks across `spanMs`. */
export function tickStep(spanMs: number, maxTicks: number): number {
  const wanted = spanMs / Math.max(1, maxTicks);
  return TICK_STEPS.find((step) => step >= wanted) ?? TICK_STEPS[TICK_STEPS.length - 1];
}

/** Round `ts` down to a local-time boundary of `step` (so ticks land on 10:15, 10:30, midnight…). */
function alignDown(ts: number, step: number): number {
  if (step >= DAY) return startOfDay(ts);
  const d = new Date(ts);
  if (step >= HOUR) {
    d.setMinutes(0, 0, 0);
    return d.getTime() - (d.getHours() % (step / HOUR)) * HOUR;
  }
  if (step >= MINUTE) {
    d.setSeconds(0, 0);
    return d.getTime() - (d.getMinutes() % (step / MINUTE)) * MINUTE;
  }
  return Math.floor(ts / step) * step;
}

function advance(ts: number, step: number): number {
  // Day steps go by calendar days so ticks stay on midnight across DST changes; shorter steps are elapsed time.
  if (step >= DAY) {
    const d = new Date(ts);
    d.setDate(d.getDate() + step / DAY);
    return d.getTime();
  }
  return ts + step;
}

/** Evenly spaced, nicely aligned tick timestamps inside [from, to]. */
export function timeTicks(from: number, to: number, maxTicks = 6): number[] {
  if (!(to > from)) return [];
  const step = tickStep(to - from, maxTicks);
  const ticks: number[] = [];
  let ts = alignDown(from, step);
  while (ts < from) ts = advance(ts, step);
  while (ts <= to && ticks.length < 100) {
    ticks.push(ts);
    ts = advance(ts, step);
  }
  return ticks;
}

/** The formatTime pattern for a tick label, given the visible span and the tick spacing. */
export function tickPattern(spanMs: number, stepMs: number): string {
  if (stepMs >= DAY) return "MMM d";
  if (spanMs > DAY) return "MMM d HH:mm";
  if (stepMs < MINUTE) return "HH:mm:ss";
  return "HH:mm";
}

/** A tick label for `ts` on an axis spanning [from, to]. */
export function formatTick(ts: number, from: number, to: number, maxTicks = 6): string {
  const span = to - from;
  return formatTime(ts, tickPattern(span, tickStep(span, maxTicks)));
}

/** A full timestamp for tooltips and tables: "2025-01-15 12:03:04". */
export function formatTimestamp(ts: number): string {
  return formatTime(ts, "yyyy-MM-dd HH:mm:ss");
}

/** A short timestamp: time only when on the same day as `now`, else date and time. */
export function formatShortTimestamp(ts: number, now: number): string {
  return startOfDay(ts) === startOfDay(now) ? formatTime(ts, "HH:mm:ss") : formatTime(ts, "MMM d HH:mm");
}

/** How long ago `ts` was relative to `now`: "just now", "42s ago", "5m ago", "3h ago", "2d ago"; "in 5m" for the future. */
export function formatAgo(ts: number, now: number): string {
  const delta = now - ts;
  const abs = Math.abs(delta);
  let text: string;
  if (abs < 2 * SECOND) return "just now";
  if (abs < MINUTE) text = `${Math.floor(abs / SECOND)}s`;
  else if (abs < HOUR) text = `${Math.floor(abs / MINUTE)}m`;
  else if (abs < DAY) text = `${Math.floor(abs / HOUR)}h`;
  else text = `${Math.floor(abs / DAY)}d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}

/** `ts` as the value of an `<input type="datetime-local">` (local time, minutes). */
export function toDateTimeLocal(ts: number): string {
  return formatTime(ts, "yyyy-MM-dd'T'HH:mm");
}

/** The timestamp of an `<input type="datetime-local">` value, or null if it is empty or invalid. */
export function fromDateTimeLocal(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const ts = new Date(value).getTime();
  return Number.isNaN(ts) ? null : ts;
}
