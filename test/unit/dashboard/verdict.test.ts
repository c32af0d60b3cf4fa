import { describe, expect, it } from "vitest";
import { readNowFacts, verdictOf } from "../../../server/dashboard/facts";
import { nowItems } from "../../../server/dashboard/overview";
import { controllerVerdict, type VerdictInput } from "../../../server/dashboard/verdict";

const NOW = Date.UTC(2026, 0, 1, 12);
const quiet: VerdictInput = { controller: "pods", alerts: [], windows: [], live: { stuck: [], stuckAfterMs: 30_000, lastMinute: { reconciles: 100, errors: 0 }, oldestQueuedAgeMs: null }, leaks: [] };

describe("controller verdict", () => {
  it("is ok with no reason", () => {
    expect(controllerVerdict(quiet, NOW)).toEqual({ verdict: "ok", reasons: [] });
  });

  it("a stuck worker makes it failing, with the key and a link to the keys in processing", () => {
    const v = controllerVerdict({ ...quiet, live: { ...quiet.live!, stuck: [{ key: "default/web-1", runningMs: 95_000 }] } }, NOW);
    expect(v.verdict).toBe("failing");
    expect(v.reasons[0]).toMatchObject({ kind: "stuck", href: "/controllers/pods#keys-in-processing", since: NOW - 95_000 });
    expect(v.reasons[0].text).toContain("default/web-1");
  });

  it("a firing alert of this controller links to the alert; a critical one makes it failing; other controllers' alerts do not count", () => {
    const warning = { fingerprint: "0123456789abcdef", labels: { alertname: "ReconcileErrorsHigh", controller: "pods", severity: "warning" }, since: NOW - 60_000 };
    const other = { fingerprint: "fedcba9876543210", labels: { alertname: "QueueDepthHigh", controller: "nodes", severity: "critical" }, since: NOW };
    const v = controllerVerdict({ ...quiet, alerts: [warning, other] }, NOW);
    expect(v.verdict).toBe("degraded");
    expect(v.reasons).toEqual([expect.objectContaining({ kind: "alert", href: "/alerts?alert=0123456789abcdef" })]);
    const critical = controllerVerdict({ ...quiet, alerts: [{ ...warning, labels: { ...warning.labels, severity: "critical" } }] }, NOW);
    expect(critical.verdict).toBe("failing");
  });

  it("an open window links to the chart at its time; a leak suspect to its group", () => {
    const v = controllerVerdict(
      {
        ...quiet,
        windows: [{ id: 7, seriesKey: 'queue_depth{controller="pods"}', title: "Queue depth — pods", controller: "pods", start: NOW - 120_000, direction: "above", peakScore: 0.9 }],
        leaks: [{ id: "g1", type: "Timeout", count: 12, since: NOW - 300_000 }],
      },
      NOW,
    );
    expect(v.verdict).toBe("degraded");
    const anomaly = v.reasons.find((r) => r.kind === "anomaly");
    expect(anomaly?.href).toMatch(/^\/controllers\/pods\?from=\d+&to=\d+#series-queue-depth-controller-pods$/);
    const from = Number(/from=(\d+)/.exec(anomaly?.href ?? "")?.[1]);
    expect(from).toBeLessThan(NOW - 120_000);
    expect(v.reasons.find((r) => r.kind === "leak")).toMatchObject({ href: "/leaks?group=g1", text: "12 leaked Timeout resources (suspect group)" });
  });

  it("a high error share and a long queue wait are reasons", () => {
    const v = controllerVerdict({ ...quiet, live: { ...quiet.live!, lastMinute: { reconciles: 20, errors: 5 }, oldestQueuedAgeMs: 45_000 } }, NOW);
    expect(v.reasons.map((r) => r.kind)).toEqual(["errors", "queue"]);
    expect(v.verdict).toBe("degraded");
  });
});

describe("facts shared by the overview and the controller page", () => {
  it("the same facts give the same verdict, and process-wide windows appear in the now list", async () => {
    const sources = {
      alerting: {
        alerts: { list: async () => [{ fingerprint: "0123456789abcdef", labels: { alertname: "X", controller: "pods" }, firedAt: new Date(NOW - 1_000), activeAt: new Date(NOW - 2_000) }] },
      },
      anomaly: {
        openWindows: async () => [
          { id: 1, seriesKey: "eventloop_lag_p99", controller: null, start: NOW - 5_000, direction: "above", peakScore: 1 },
          { id: 2, seriesKey: 'queue_depth{controller="pods"}', controller: "pods", start: NOW - 9_000, direction: "above", peakScore: 1, explainedBy: null },
          { id: 3, seriesKey: 'reconcile_time_mean{controller="pods"}', controller: "pods", start: NOW - 8_000, direction: "above", peakScore: 1, explainedBy: "eventloop_lag_p99" },
        ],
        watched: async () => [{ key: "eventloop_lag_p99", title: "Event-loop lag p99 (s)" }],
      },
    } as never;
    const facts = await readNowFacts(sources, NOW);
    expect(verdictOf(facts, "pods")).toEqual(verdictOf(facts, "pods"));
    const reasons = verdictOf(facts, "pods").reasons;
    expect(reasons.map((r) => r.kind)).toEqual(["alert", "anomaly", "anomaly"]);
    // the window the process's lag explains is shown as such on the controller…
    expect(reasons[2].text).toMatch(/Mean reconcile time|reconcile_time_mean/);
    expect(reasons[2].text).toContain("(explained by Event-loop lag p99 (s))");
    // …and is one incident with its cause in the now list, not one of its own
    const items = nowItems(facts);
    expect(items.map((i) => i.kind)).toEqual(["alert", "anomaly", "anomaly"]);
    expect(items.map((i) => i.id)).not.toContain("3");
    const processWide = items.find((i) => i.controller === null);
    expect(processWide?.title).toContain("Event-loop lag p99");
    expect(processWide?.title).toContain("and 1 controller duration window it explains");
    expect(processWide?.href).toMatch(/^\/explore\?.*series=eventloop_lag_p99/);
  });
});
