export interface AlertEventRow {
  fingerprint: string;
  labels: Record<string, string>;
  state: string;
  at: string | Date;
}

/** An alert's firing span on a chart, with its full label and a link to the alert. */
export interface AlertSpan {
  start: number;
  end: number | null;
  label: string;
  state: "firing" | "resolved";
  href: string;
}

/** Folds alert state transitions into firing spans (start at firing, end at resolved/inactive). */
export function alertSpans(events: readonly AlertEventRow[], matches: (labels: Record<string, string>) => boolean): AlertSpan[] {
  const ordered = [...events].filter((e) => matches(e.labels)).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  const open = new Map<string, AlertSpan>();
  const spans: AlertSpan[] = [];
  for (const event of ordered) {
    const at = new Date(event.at).getTime();
    const label = event.labels.alertname ?? "alert";
    if (event.state === "firing" && !open.has(event.fingerprint)) {
      const span: AlertSpan = { start: at, end: null, label, state: "firing", href: `/alerts?alert=${encodeURIComponent(event.fingerprint)}` };
      open.set(event.fingerprint, span);
      spans.push(span);
    } else if (event.state === "resolved" || event.state === "inactive") {
      const span = open.get(event.fingerprint);
      if (span) {
        span.end = at;
        span.state = "resolved";
        open.delete(event.fingerprint);
      }
    }
  }
  return spans;
}
