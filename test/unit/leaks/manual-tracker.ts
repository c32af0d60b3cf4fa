import type { Registry } from "prom-client";
import type { LeakTrackerOptions } from "../../../server/leaks/leak-tracker";

/** The grace period of hand-driven trackers. */
export const GRACE = 1_000;

/** Options for a tracker whose own timers never fire during a test: the test drives sampling. */
export function manualTrackerOptions(clock: { now: () => number }, registry: Registry): LeakTrackerOptions {
  return {
    graceMs: GRACE,
    stackSampleRate: 1,
    countIntervalMs: 3_600_000,
    sampleIntervalMs: 3_600_000,
    snapshotIntervalMs: 0,
    // Samples come one grace period apart: the trend test over 3.5 of them (4 samples), risen within 2.
    growth: { windowsMs: [3.5 * GRACE], recentMs: 2 * GRACE },
    registry,
    now: clock.now,
  };
}
