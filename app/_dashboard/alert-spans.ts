import type { AlertAnnotationView } from "../../components/charts/types";

export interface AlertEventRow {
  fingerprint: string;
  labels: Record<string, string>;
  state: string;
  at: string | Date;
}

/** Folds alert state transitions into firing spans (start at firing, end at resolved/inactive). */
export function alertSpans(events: readonly AlertEventRow[], matches: (labels: Record<string, string>) => boolean): AlertAnnotationView[] {
  const ordered = [...events].filter((e) => matches(e.labels)).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  const open = new Map<string, AlertAnnotationView>();
  const spans: AlertAnnotationView[] = [];
  for (const event of ordered) {
    const at = new Date(event.at).getTime();
    const label = event.labels.alertname ?? "alert";
    if (event.state === "firing" && !open.has(event.fingerprint)) {
      const span: AlertAnnotationView = { start: at, end: null, label, state: "firing" };
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
