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

function run(counts: number[], attributed = true): LeakGroups {
  const groups = new LeakGroups({ growthSamples: 3 });
  counts.forEach((count, i) => {
    const obs = observation(count, "pods", attributed);
    groups.observe(i * 1_000, count > 0 ? new Map([[obs.descriptor.key, obs]]) : new Map());
  });
  return groups;
}

describe("LeakGroups growth rule", () => {
  it("makes a group growing after three consecutive growing samples", () => {
    expect(run([1, 2]).all()[0].growing).toBe(false);
    expect(run([1, 2, 3]).all()[0].growing).toBe(true);
  });

  it("keeps the run through equal samples (slow leaks) and resets it on a decrease (churn)", () => {
    expect(run([1, 1, 2, 2, 2, 3]).all()[0].growing).toBe(true);
    expect(run([1, 2, 1, 2, 3]).all()[0].growing).toBe(false);
    expect(run([1, 2, 3, 2]).all()[0].growing).toBe(false);
  });

  it("stays growing while a leak stops growing but its resources stay alive", () => {
    const group = run([1, 2, 3, 3, 3, 3]).all()[0];
    expect(group.growing).toBe(true);
    expect(group.growthPerMinute()).toBeGreaterThanOrEqual(0);
    expect(group.growingSince).toBe(2_000);
  });

  it("applies the same rule to unattributed groups", () => {
    expect(run([1, 2, 3, 4], false).all()[0].growing).toBe(true);
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
    const controllers = new LeakingControllers(3);
    for (const n of [1, 2, 3]) controllers.observe(new Map([["pods", n], ["nodes", 1]]));
    expect(controllers.isLeaking("pods")).toBe(true);
    expect(controllers.isLeaking("nodes")).toBe(false);
    controllers.observe(new Map([["pods", 3]]));
    expect(controllers.list()).toEqual([{ controller: "pods", leakingReconciles: 3, growing: true }]);
  });
});
