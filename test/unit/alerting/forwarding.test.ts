import { describe, expect, it } from "vitest";
import { ForwardingLog, RESEND_DELAY_MS, RESOLVED_RESEND_MS } from "../../../server/alerting/forwarding";
import type { GroupableAlert } from "../../../server/alerting/grouping";

const T0 = Date.UTC(2026, 11, 2, 12);

function alert(status: GroupableAlert["status"], fingerprint = "a", endsAt?: number): GroupableAlert {
  return { fingerprint, labels: { alertname: "ReconcileErrors", controller: "pods" }, annotations: {}, status, startsAt: T0, ...(endsAt ? { endsAt } : {}) };
}

/** Simulates the evaluator: every `interval`, the due alerts are sent and recorded. */
function sends(log: ForwardingLog, at: (now: number) => GroupableAlert[], from: number, to: number, interval = 5_000): number[] {
  const sentAt: number[] = [];
  for (let now = from; now <= to; now += interval) {
    const candidates = at(now);
    const due = log.due(1, candidates, now);
    if (due.length > 0) sentAt.push(now);
    log.record(1, due, candidates, now);
  }
  return sentAt;
}

describe("forwarding to Alertmanager as Prometheus's rule manager does", () => {
  it("sends a firing alert at once and again every resend delay (one minute), not on every evaluation", () => {
    const sentAt = sends(new ForwardingLog(), () => [alert("firing")], T0, T0 + 3 * RESEND_DELAY_MS);
    expect(sentAt).toEqual([T0, T0 + RESEND_DELAY_MS, T0 + 2 * RESEND_DELAY_MS, T0 + 3 * RESEND_DELAY_MS]);
  });

  it("sends a resolution at once, re-sends it every minute for 15 minutes, then stops", () => {
    const log = new ForwardingLog();
    const resolvedAt = T0 + 30_000;
    const state = (now: number) => [now < resolvedAt ? alert("firing") : alert("resolved", "a", resolvedAt)];
    const sentAt = sends(log, state, T0, resolvedAt + RESOLVED_RESEND_MS + 5 * RESEND_DELAY_MS);
    expect(sentAt[0]).toBe(T0);
    expect(sentAt[1]).toBe(resolvedAt); // the status changed: sent on that evaluation, not a minute later
    const resends = sentAt.slice(2);
    expect(resends.every((at, i) => at - (i === 0 ? resolvedAt : resends[i - 1]) === RESEND_DELAY_MS)).toBe(true);
    expect(Math.max(...sentAt)).toBeLessThanOrEqual(resolvedAt + RESOLVED_RESEND_MS);
    expect(resends.length).toBe(RESOLVED_RESEND_MS / RESEND_DELAY_MS);
  });

  it("keeps a separate clock per alert: a new alert is not held back by another's resend", () => {
    const log = new ForwardingLog();
    const state = (now: number) => (now < T0 + 20_000 ? [alert("firing", "a")] : [alert("firing", "a"), alert("firing", "b")]);
    const due: string[][] = [];
    for (let now = T0; now <= T0 + RESEND_DELAY_MS; now += 5_000) {
      const d = log.due(1, state(now), now);
      if (d.length) due.push([String(now - T0), ...d.map((x) => x.fingerprint)]);
      log.record(1, d, state(now), now);
    }
    expect(due).toEqual([["0", "a"], ["20000", "b"], [String(RESEND_DELAY_MS), "a"]]);
  });
});
