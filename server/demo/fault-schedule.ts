import { SeededRandom } from "./random";

/**
 * The faults the demo cluster can inject, in the order "all" runs them: the loud ones
 * first, then the same kinds at the sizes real incidents have (reconciles 3× slower,
 * 15 % of reconciles failing, a burst of 200 objects).
 */
export const DEMO_FAULTS = ["burst", "slow", "errors", "hot-key", "stuck", "leak-timer", "leak-socket", "leak-promise", "slow-3x", "errors-15", "burst-200"] as const;
export type DemoFault = (typeof DEMO_FAULTS)[number];

export interface FaultSpec {
  fault: DemoFault;
  /** Pin the fault to one controller; otherwise a seeded choice per window. */
  controller?: string;
}

/**
 * A parsed LOOPSCOPE_DEMO_SCHEDULE:
 * - `all` (default): every fault in turn, forever;
 * - `none`: no faults;
 * - one fault, e.g. `leak-timer`: that fault right away, until the demo stops;
 * - a comma list, e.g. `errors,stuck`: those faults in turn, the first after the same
 *   warm-up as `all` (so detection has a learned baseline when it starts).
 * Any fault may be pinned to a controller with `@`, e.g. `errors@pods`.
 */
export interface ScheduleSpec {
  text: string;
  mode: "none" | "single" | "cycle";
  faults: FaultSpec[];
}

export function parseSchedule(text: string, controllers?: readonly string[]): ScheduleSpec {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "" || trimmed === "all") return { text: "all", mode: "cycle", faults: DEMO_FAULTS.map((fault) => ({ fault })) };
  if (trimmed === "none") return { text: "none", mode: "none", faults: [] };
  const faults = trimmed.split(",").map((part): FaultSpec => {
    const [name, controller] = part.trim().split("@");
    if (!(DEMO_FAULTS as readonly string[]).includes(name)) {
      throw new Error(`LOOPSCOPE_DEMO_SCHEDULE: unknown fault "${name}"; use all, none, or a comma list of ${DEMO_FAULTS.join(", ")} (optionally fault@controller)`);
    }
    if (controller !== undefined && controllers && !controllers.includes(controller)) {
      throw new Error(`LOOPSCOPE_DEMO_SCHEDULE: unknown controller "${controller}" in "${part.trim()}"; the demo controllers are ${controllers.join(", ")}`);
    }
    return controller === undefined ? { fault: name as DemoFault } : { fault: name as DemoFault, controller };
  });
  return { text: trimmed, mode: faults.length === 1 ? "single" : "cycle", faults };
}

/** One planned fault window in demo time (milliseconds since the demo started). */
export interface PlannedFault {
  index: number;
  fault: DemoFault;
  controller: string;
  startMs: number;
  /** null = until the demo stops. */
  endMs: number | null;
  /** A seeded number in [0, 1) for choices made when the fault starts (e.g. which key). */
  pick: number;
}

export interface FaultTiming {
  /** When the first fault of a cycle starts (default 120 s). */
  firstFaultAtMs: number;
  /** Shortest and longest fault (default 60–90 s). */
  minDurationMs: number;
  maxDurationMs: number;
  /** Shortest and longest quiet period between faults (default 50–70 s). */
  minQuietMs: number;
  maxQuietMs: number;
}

export const DEFAULT_FAULT_TIMING: FaultTiming = {
  // After the anomaly detector's warm-up (20 samples at the default 5 s interval), so the
  // first fault is judged against a learned baseline.
  firstFaultAtMs: 120_000,
  minDurationMs: 60_000,
  maxDurationMs: 90_000,
  minQuietMs: 50_000,
  maxQuietMs: 70_000,
};

/**
 * The fault schedule as data: a pure function of (spec, controllers, seed, timing).
 * Windows never overlap (one fault at a time, quiet periods between) and are produced
 * lazily, so a demo that runs for days has a schedule for all of it.
 */
export class FaultPlan {
  private readonly windows: PlannedFault[] = [];
  private readonly random: SeededRandom;
  private readonly timing: FaultTiming;

  constructor(
    readonly spec: ScheduleSpec,
    readonly controllers: readonly string[],
    readonly seed: number,
    timing: Partial<FaultTiming> = {},
  ) {
    if (controllers.length === 0) throw new Error("FaultPlan needs at least one controller");
    this.random = SeededRandom.derive(seed, "fault-schedule");
    this.timing = { ...DEFAULT_FAULT_TIMING, ...timing };
  }

  /** Every window that starts at or before `untilMs`, plus the next one (upcoming). */
  windowsUntil(untilMs: number): PlannedFault[] {
    if (this.spec.mode === "none") return [];
    while (this.windows.length === 0 || this.windows[this.windows.length - 1].startMs <= untilMs) {
      if (!this.extend()) break;
    }
    return this.windows.slice();
  }

  /** The window active at `ms`, if any. */
  activeAt(ms: number): PlannedFault | undefined {
    return this.windowsUntil(ms).find((w) => w.startMs <= ms && (w.endMs === null || ms < w.endMs));
  }

  private extend(): boolean {
    const index = this.windows.length;
    const spec = this.spec.faults[index % this.spec.faults.length];
    const controller = spec.controller ?? this.random.pick(this.controllers);
    const pick = this.random.next();
    if (this.spec.mode === "single") {
      if (index > 0) return false;
      this.windows.push({ index, fault: spec.fault, controller, startMs: 0, endMs: null, pick });
      return true;
    }
    const t = this.timing;
    const previous = this.windows[index - 1];
    const quiet = Math.round(this.random.between(t.minQuietMs, t.maxQuietMs));
    const duration = Math.round(this.random.between(t.minDurationMs, t.maxDurationMs));
    const startMs = previous ? (previous.endMs as number) + quiet : t.firstFaultAtMs;
    this.windows.push({ index, fault: spec.fault, controller, startMs, endMs: startMs + duration, pick });
    return true;
  }
}
