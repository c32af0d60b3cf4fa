import { describe, expect, it } from "vitest";
import type { AlertCandidate } from "../../../server/alerting/conditions";
import { fingerprint } from "../../../server/alerting/labels";
import { evaluateRuleStep, RESOLVED_RETENTION_MS, type RuleAlert, type RuleTiming } from "../../../server/alerting/rule-state";

const labels = { alertname: "HighDepth", controller: "pods" };
const fp = fingerprint(labels);
const candidate = (value = 5): AlertCandidate => ({ labels, annotations: { summary: `depth ${value}` }, value });

/** Runs the state machine over evaluations: `true` = the condition holds at that time. */
function run(timing: RuleTiming, evaluations: [number, boolean][]) {
  let alerts = new Map<string, RuleAlert>();
  const history: { at: number; status: string | undefined; transitions: string[] }[] = [];
  for (const [at, holds] of evaluations) {
    const step = evaluateRuleStep(alerts, holds ? [candidate(at)] : [], timing, at);
    alerts = step.alerts;
    history.push({ at, status: alerts.get(fp)?.status, transitions: step.transitions.map((t) => t.state) });
  }
  return { alerts, history };
}

describe("alert rule state machine (Prometheus semantics)", () => {
  it("fires at once without `for`", () => {
    const { history } = run({ forMs: 0, keepFiringForMs: 0 }, [[0, true]]);
    expect(history[0]).toEqual({ at: 0, status: "firing", transitions: ["firing"] });
  });

  it("stays pending until the condition held for `for`, then fires", () => {
    const { history, alerts } = run({ forMs: 60_000, keepFiringForMs: 0 }, [
      [0, true],
      [30_000, true],
      [59_999, true],
      [60_000, true],
      [75_000, true],
    ]);
    expect(history.map((h) => h.status)).toEqual(["pending", "pending", "pending", "firing", "firing"]);
    expect(history.map((h) => h.transitions)).toEqual([["pending"], [], [], ["firing"], []]);
    const alert = alerts.get(fp)!;
    expect(alert.activeAt).toBe(0);
    expect(alert.firedAt).toBe(60_000);
    expect(alert.value).toBe(75_000);
  });

  it("deletes a pending alert whose series disappears (never reported)", () => {
    const { history, alerts } = run({ forMs: 60_000, keepFiringForMs: 0 }, [
      [0, true],
      [15_000, false],
      [30_000, true],
      [90_000, true],
    ]);
    expect(history[1]).toEqual({ at: 15_000, status: undefined, transitions: ["inactive"] });
    expect(history[2].status).toBe("pending");
    // `for` restarts from the new activeAt (30 s), so 90 s fires.
    expect(alerts.get(fp)?.activeAt).toBe(30_000);
    expect(history[3].status).toBe("firing");
  });

  it("resolves a firing alert when its series disappears", () => {
    const { history, alerts } = run({ forMs: 0, keepFiringForMs: 0 }, [
      [0, true],
      [15_000, false],
    ]);
    expect(history[1]).toEqual({ at: 15_000, status: "resolved", transitions: ["resolved"] });
    expect(alerts.get(fp)?.resolvedAt).toBe(15_000);
    expect(alerts.get(fp)?.firedAt).toBe(0);
  });

  it("keeps firing for keep_firing_for after the condition was last true", () => {
    const { history } = run({ forMs: 0, keepFiringForMs: 60_000 }, [
      [0, true],
      [15_000, false], // keepFiringSince = 15 s
      [60_000, false],
      [74_999, false],
      [75_000, false], // 60 s after 15 s: resolves
    ]);
    expect(history.map((h) => h.status)).toEqual(["firing", "firing", "firing", "firing", "resolved"]);
    expect(history[4].transitions).toEqual(["resolved"]);
  });

  it("restarts keep_firing_for when the condition holds again", () => {
    const { history } = run({ forMs: 0, keepFiringForMs: 30_000 }, [
      [0, true],
      [15_000, false],
      [30_000, true],
      [45_000, false],
      [70_000, false],
      [75_000, false],
    ]);
    expect(history.map((h) => h.status)).toEqual(["firing", "firing", "firing", "firing", "firing", "resolved"]);
  });

  it("does not keep a pending alert firing (keep_firing_for only applies to firing alerts)", () => {
    const { history } = run({ forMs: 60_000, keepFiringForMs: 60_000 }, [
      [0, true],
      [15_000, false],
    ]);
    expect(history[1].status).toBeUndefined();
  });

  it("keeps a resolved alert for 15 minutes, then deletes it", () => {
    const resolvedAt = 15_000;
    const { history } = run({ forMs: 0, keepFiringForMs: 0 }, [
      [0, true],
      [resolvedAt, false],
      [resolvedAt + RESOLVED_RETENTION_MS, false],
      [resolvedAt + RESOLVED_RETENTION_MS + 1, false],
    ]);
    expect(history.map((h) => h.status)).toEqual(["firing", "resolved", "resolved", undefined]);
    expect(history[3].transitions).toEqual([]);
  });

  it("starts over as pending when a resolved alert's condition holds again", () => {
    const { history, alerts } = run({ forMs: 30_000, keepFiringForMs: 0 }, [
      [0, true],
      [30_000, true],
      [45_000, false],
      [60_000, true],
    ]);
    expect(history.map((h) => h.status)).toEqual(["pending", "firing", "resolved", "pending"]);
    expect(history[3].transitions).toEqual(["pending"]);
    expect(alerts.get(fp)?.activeAt).toBe(60_000);
    expect(alerts.get(fp)?.resolvedAt).toBeUndefined();
  });

  it("tracks each label set separately and updates annotations and value", () => {
    const other = { alertname: "HighDepth", controller: "nodes" };
    const first = evaluateRuleStep(new Map(), [candidate(1), { labels: other, annotations: {}, value: 2 }], { forMs: 0, keepFiringForMs: 0 }, 0);
    expect(first.alerts.size).toBe(2);
    const second = evaluateRuleStep(first.alerts, [candidate(9)], { forMs: 0, keepFiringForMs: 0 }, 10);
    expect(second.alerts.get(fp)?.annotations.summary).toBe("depth 9");
    expect(second.alerts.get(fingerprint(other))?.status).toBe("resolved");
  });

  it("does not mutate the previous state", () => {
    const first = evaluateRuleStep(new Map(), [candidate()], { forMs: 10, keepFiringForMs: 0 }, 0);
    const snapshot = JSON.stringify([...first.alerts]);
    evaluateRuleStep(first.alerts, [candidate()], { forMs: 10, keepFiringForMs: 0 }, 20);
    expect(JSON.stringify([...first.alerts])).toBe(snapshot);
  });
});
