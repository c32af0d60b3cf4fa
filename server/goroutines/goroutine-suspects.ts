import { type SustainedGrowthOptions, sustainedGrowth, type TrendPoint } from "../leaks/leak-trend";
import type { GoroutineGroup } from "./goroutine-groups";

/**
 * Which goroutine groups of one Go target are suspects, from the group counts over time
 * and the latest dump. Pure. Three reasons, strongest first:
 * - "proven-leak": the target's goroutineleak profile (Go ≥ 1.26 with
 *   GOEXPERIMENT=goroutineleakprofile, default from 1.27) lists members of the group:
 *   the garbage collector proved they can never wake;
 * - "growth": the shared leak trend test (`sustainedGrowth`) says the group grows;
 * - "blocked": members have waited in a state that should never last (a channel send,
 *   a mutex, a nil channel) for at least `blockedMinutes`. Idle waits — receiving,
 *   select, I/O, sleep, condition variables — are how healthy servers rest and never
 *   count, however long.
 */
export type GoroutineSuspectReason = "proven-leak" | "growth" | "blocked";

export interface GoroutineSuspectOptions {
  growth: Pick<SustainedGrowthOptions, "windowsMs" | "recentMs">;
  /** Minutes in a stuck state before a group is a suspect (default 10). */
  blockedMinutes?: number;
}

/** States in which a goroutine is stuck, not resting. */
export const STUCK_STATES: ReadonlySet<string> = new Set([
  "chan send",
  "chan send (nil chan)",
  "chan receive (nil chan)",
  "select (no cases)",
  "sync.Mutex.Lock",
  "sync.RWMutex.Lock",
  "sync.RWMutex.RLock",
  "semacquire",
]);

/** The trend windows for a target dumped every `intervalMs`: 3.5, 20 and 60 dumps, recency 3 dumps. */
export function goroutineGrowthWindows(intervalMs: number): Pick<SustainedGrowthOptions, "windowsMs" | "recentMs"> {
  return { windowsMs: [3.5 * intervalMs, 20 * intervalMs, 60 * intervalMs], recentMs: 3 * intervalMs };
}

export interface GoroutineSuspect {
  group: GoroutineGroup;
  reasons: GoroutineSuspectReason[];
  /** Theil–Sen slope of the group's count, per minute (0 when not growing). */
  growthPerMinute: number;
}

export function goroutineSuspects(
  groups: readonly GoroutineGroup[],
  /** Counts over time of the group with this id (GoroutineGroup.id). */
  history: (groupId: string) => readonly TrendPoint[],
  at: number,
  options: GoroutineSuspectOptions,
): GoroutineSuspect[] {
  const blockedMinutes = options.blockedMinutes ?? 10;
  const out: GoroutineSuspect[] = [];
  for (const group of groups) {
    const reasons: GoroutineSuspectReason[] = [];
    if (group.leaked > 0) reasons.push("proven-leak");
    const trend = sustainedGrowth(history(group.id), at, options.growth);
    if (trend.growing) reasons.push("growth");
    if (STUCK_STATES.has(group.state) && group.maxWaitMinutes >= blockedMinutes) reasons.push("blocked");
    if (reasons.length > 0) out.push({ group, reasons, growthPerMinute: trend.growing ? trend.slope * 60 : 0 });
  }
  return out.sort((a, b) => b.group.count - a.group.count);
}
