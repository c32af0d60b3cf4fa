import { formatAgo, formatTimestamp } from "../format/time";

/** A time shown as "5m ago" (when `now` is given) or in full; the full time is always in the tooltip. */
export function Timestamp({ ts, now }: { ts: number | null | undefined; now?: number }) {
  if (ts === null || ts === undefined) return <span className="muted">–</span>;
  const full = formatTimestamp(ts);
  return (
    <time dateTime={new Date(ts).toISOString()} title={full}>
      {now === undefined ? full : formatAgo(ts, now)}
    </time>
  );
}
