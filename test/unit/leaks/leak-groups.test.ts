import { describe, expect, it } from "vitest";
import { type GroupObservation, LeakGroups, LeakingControllers } from "../../../server/leaks/leak-groups";

function observation(count: number, controller = "pods", attributed = true): GroupObservation {
  return {
    descriptor: { key: `k|${attributed}`, type: "Timeout", attributed, frames: [{ fn: "leak", location: "a.ts:1:1" }], stackSampled: true },
    count,
    byController: attributed ? new Map([[controller, count]]) : new Map(),
    keys: attributed ? new Set([`ns/obj-${count}`]) : new Set(),
  };
}

/** Sampled once a second; the trend test over 12 s / 60 s windows, recency 12 s. */
const growth = { windowsMs: [12_000, 60_000], recentMs: 12_000 };

function run(counts: number[], attributed = true): LeakGroups {
  const groups = new LeakGroups({ growth });
  counts.forEach((count, i) => {
    const obs = observation(count, "pods", attributed);
    groups.observe(i * 1_000, count > 0 ? new Map([[obs.descriptor.key, obs]]) : new Map());
  });
  return groups;
}

const ramp = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe("LeakGroups growth rule (the shared trend test)", () => {
  it("makes a group growing once it has grown across a whole window, not after a few rising samples", () => {
    expect(run(ramp(4)).all()[0].growing).toBe(false);
    expect(run(ramp(14)).all()[0].growing).toBe(true);
  });

  it("counts a slow staircase leak, and not churn that goes up and down", () => {
    expect(run(ramp(30).map((n) => Math.ceil(n / 2))).all()[0].growing).toBe(true);
    expect(run(ramp(30).map((n) => 5 + (n % 3))).all()[0].growing).toBe(false);
  });

  it("clears once a leak stops growing although its resources stay alive", () => {
    const stopped = [...ramp(20), ...Array(13).fill(20)];
    const group = run(stopped).all()[0];
    expect(group.growing).toBe(false);
    expect(group.count).toBe(20);
    expect(run([...ramp(20), 20, 20]).all()[0].growing).toBe(true);
  });

  it("never flags a pool that warms up and stays flat", () => {
    const groups = new LeakGroups({ growth });
    const key = observation(1).descriptor.key;
    let everGrowing = false;
    for (let i = 0; i < 120; i++) {
      const obs = observation(Math.min(10, 2 * i + 1));
      groups.observe(i * 1_000, new Map([[key, obs]]));
      everGrowing ||= groups.all()[0].growing;
    }
    expect(everGrowing).toBe(false);
  });

  it("applies the same rule to unattributed groups", () => {
    expect(run(ramp(14), false).all()[0].growing).toBe(true);
  });

  it("records history, first/last seen, keys and controllers", () => {
    const group = run([1, 2, 0]).all()[0];
    expect(group.history.toArray()).toEqual([
      { t: 0, count: 1 },
      { t: 1_000, count: 2 },
      { t: 2_000, count: 0 },
    ]);
    expect(group.firstSeen).toBe(0);
    expect(group.lastSeen).toBe(1_000);
    expect(group.sampleKeys).toEqual(["ns/obj-2", "ns/obj-1"]);
    expect([...group.controllers]).toEqual([["pods", 0]]);
  });

  it("is bounded: new groups beyond maxGroups are skipped and counted, empty ones forgotten", () => {
    const groups = new LeakGroups({ maxGroups: 2, retentionMs: 5_000 });
    const observations = new Map<string, GroupObservation>();
    for (const key of ["a", "b", "c"]) observations.set(key, { ...observation(1), descriptor: { ...observation(1).descriptor, key } });
    groups.observe(0, observations);
    expect(groups.size).toBe(2);
    expect(groups.skippedGroups).toBe(1);
    groups.observe(10_000, new Map());
    expect(groups.size).toBe(0);
  });
});

describe("LeakingControllers", () => {
  it("tracks leaking reconciles per controller under the growth rule and forgets controllers with none", () => {
    const controllers = new LeakingControllers(growth);
    for (const n of ramp(14)) controllers.observe(n * 1_000, new Map([["pods", n], ["nodes", 1]]));
    expect(controllers.isLeaking("pods")).toBe(true);
    expect(controllers.isLeaking("nodes")).toBe(false);
    controllers.observe(15_000, new Map([["pods", 14]]));
    expect(controllers.list()).toEqual([{ controller: "pods", leakingReconciles: 14, growing: true }]);
    controllers.observe(16_000, new Map());
    expect(controllers.list()).toEqual([]);
  });
});
