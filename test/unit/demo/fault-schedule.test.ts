import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEMO_FAULTS, FaultPlan, parseSchedule } from "../../../server/demo";

const controllers = ["pods", "deployments", "configmaps"];

describe("LOOPSCOPE_DEMO_SCHEDULE", () => {
  it("parses all, none, one fault, a list and pinned controllers", () => {
    expect(parseSchedule("all")).toMatchObject({ mode: "cycle", faults: DEMO_FAULTS.map((fault) => ({ fault })) });
    expect(parseSchedule("none")).toMatchObject({ mode: "none", faults: [] });
    expect(parseSchedule("leak-timer")).toMatchObject({ mode: "single", faults: [{ fault: "leak-timer" }] });
    expect(parseSchedule(" errors@pods , stuck ", controllers)).toMatchObject({ mode: "cycle", faults: [{ fault: "errors", controller: "pods" }, { fault: "stuck" }] });
  });

  it("names the valid choices when the value is wrong", () => {
    expect(() => parseSchedule("leak-memory")).toThrow(/unknown fault "leak-memory".*burst, slow, errors/);
    expect(() => parseSchedule("errors@nodes", controllers)).toThrow(/unknown controller "nodes"/);
  });
});

describe("FaultPlan", () => {
  it("runs every fault in turn for 'all': first at 30 s, 60–90 s each, ~60 s quiet between, never overlapping", () => {
    const plan = new FaultPlan(parseSchedule("all"), controllers, 42);
    const windows = plan.windowsUntil(3 * 3_600_000);
    expect(windows[0].startMs).toBe(120_000);
    expect(windows.slice(0, DEMO_FAULTS.length).map((w) => w.fault)).toEqual([...DEMO_FAULTS]);
    expect(windows[DEMO_FAULTS.length].fault).toBe("burst");
    for (const [i, w] of windows.entries()) {
      const duration = (w.endMs as number) - w.startMs;
      expect(duration).toBeGreaterThanOrEqual(60_000);
      expect(duration).toBeLessThanOrEqual(90_000);
      expect(controllers).toContain(w.controller);
      if (i > 0) {
        const quiet = w.startMs - (windows[i - 1].endMs as number);
        expect(quiet).toBeGreaterThanOrEqual(50_000);
        expect(quiet).toBeLessThanOrEqual(70_000);
      }
    }
    expect(new Set(windows.map((w) => w.controller)).size).toBe(3);
  });

  it("is reproducible: the same seed gives the same schedule, another seed another one", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = new FaultPlan(parseSchedule("all"), controllers, seed).windowsUntil(2_000_000);
        const b = new FaultPlan(parseSchedule("all"), controllers, seed).windowsUntil(2_000_000);
        expect(a).toEqual(b);
      }),
      { numRuns: 50 },
    );
    const one = new FaultPlan(parseSchedule("all"), controllers, 1).windowsUntil(2_000_000);
    const two = new FaultPlan(parseSchedule("all"), controllers, 2).windowsUntil(2_000_000);
    expect(one).not.toEqual(two);
  });

  it("starts a single fault right away and keeps it until stop", () => {
    const plan = new FaultPlan(parseSchedule("leak-timer@configmaps", controllers), controllers, 42);
    expect(plan.windowsUntil(10 * 3_600_000)).toEqual([{ index: 0, fault: "leak-timer", controller: "configmaps", startMs: 0, endMs: null, pick: expect.any(Number) }]);
    expect(plan.activeAt(0)?.fault).toBe("leak-timer");
    expect(plan.activeAt(9 * 3_600_000)?.fault).toBe("leak-timer");
  });

  it("knows which fault is active at any time, and none in quiet periods", () => {
    const plan = new FaultPlan(parseSchedule("all"), controllers, 42);
    expect(plan.activeAt(29_999)).toBeUndefined();
    const [first, second] = plan.windowsUntil(400_000);
    expect(plan.activeAt(first.startMs)?.index).toBe(0);
    expect(plan.activeAt((first.endMs as number) - 1)?.index).toBe(0);
    expect(plan.activeAt(first.endMs as number)).toBeUndefined();
    expect(plan.activeAt(second.startMs)?.index).toBe(1);
    expect(new FaultPlan(parseSchedule("none"), controllers, 42).windowsUntil(1e9)).toEqual([]);
  });
});
