import { describe, expect, it } from "vitest";
import { fiveMinuteAligned, minuteAligned } from "../../../server/query/pg-sample-source";
import { chooseStep, planEval } from "../../../server/query/range-plan";

const WEEK = 7 * 86_400_000;
const T0 = Date.UTC(2027, 0, 10);

describe("chosen steps and the rollup levels", () => {
  it("a week at 1,000 points is 15-minute steps (whole 5-minute blocks), not 11-minute ones", () => {
    expect(chooseStep({ start: T0, end: T0 + WEEK, maxPoints: 1_000 })).toBe(900_000);
    const plan = planEval({ start: T0, end: T0 + WEEK, maxPoints: 1_000 });
    expect(plan.steps).toBe(673);
    expect(fiveMinuteAligned(plan)).toBe(true);
  });

  it("from 10 min up chosen steps are whole multiples of 5 min; from 5 to 10 min whole minutes; below, whole seconds", () => {
    const step = (rangeMs: number) => chooseStep({ start: T0, end: T0 + rangeMs, maxPoints: 101 });
    expect(step(100 * 601_000)).toBe(900_000);
    expect(step(100 * 900_000)).toBe(900_000);
    expect(step(100 * 900_001)).toBe(1_200_000);
    expect(step(100 * 599_000)).toBe(600_000);
    expect(step(100 * 421_000)).toBe(480_000);
    expect(step(100 * 299_500)).toBe(300_000);
    expect(step(100 * 61_500)).toBe(62_000);
  });

  it("an explicit step is kept exactly: an 11-minute one reads the 1-minute level", () => {
    expect(chooseStep({ start: T0, end: T0 + WEEK, maxPoints: 1_000, stepMs: 660_000 })).toBe(660_000);
    const plan = planEval({ start: T0, end: T0 + WEEK, maxPoints: 1_000, stepMs: 660_000 });
    expect(minuteAligned(plan)).toBe(true);
    expect(fiveMinuteAligned(plan)).toBe(false);
  });

  it("a range that does not start on the 5-minute grid is not read from the 5-minute level", () => {
    expect(fiveMinuteAligned(planEval({ start: T0 + 60_000, end: T0 + WEEK, maxPoints: 1_000 }))).toBe(false);
    expect(fiveMinuteAligned(planEval({ start: T0, end: T0 + WEEK, maxPoints: 1_000, stepMs: 900_000, windowMs: 960_000 }))).toBe(false);
  });
});
