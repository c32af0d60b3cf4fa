import { formatFrames } from "./creation-stack";
import type { GroupPoint, LeakGroup, LeakingControllers } from "./leak-groups";
import type { LeakTrend } from "./leak-trend";
import type { TrackedType } from "./resource-types";

/** Why a group is blamed: its own growth, or its controller's growing count of leaking reconciles. */
export type SuspectReason = "group-growth" | "controller-growth";

/** A group as the API and the dashboard show it. */
export interface LeakGroupSummary {
  id: string;
  type: TrackedType;
  attributed: boolean;
  /**
   * Blamed on its controllers: created by reconciles, with live members, and either the
   * group itself or its controller's count of leaking reconciles kept growing across the
   * required consecutive samples (see `suspectBecause`).
   */
  suspect: boolean;
  suspectBecause: SuspectReason | null;
  /** The group's own count kept growing across the required consecutive samples. */
  growing: boolean;
  /** Live resources in the group past their grace period at the last sample. */
  count: number;
  maxCount: number;
  firstSeen: number;
  lastSeen: number;
  growingSince: number | null;
  /** Theil–Sen slope of the recent counts, per minute. */
  growthPerMinute: number;
  controllers: { controller: string; count: number }[];
  sampleKeys: string[];
  stackSampled: boolean;
  /** Project frames, innermost first ("fn (file:line:col)"). */
  stack: string[];
  topFrame: string | null;
}

export interface LeakGroupDetail extends LeakGroupSummary {
  history: GroupPoint[];
  trend: LeakTrend;
}

/** One line of a diff between two instants. */
export interface LeakDiffEntry {
  /** The group now, if it still exists. */
  group: LeakGroupSummary | null;
  id: string;
  type: TrackedType;
  attributed: boolean;
  topFrame: string | null;
  before: number;
  after: number;
  delta: number;
}

/**
 * Why `group` is a suspect, or null. Unattributed groups are never blamed. A group
 * also counts when its controller keeps leaking reconciles although the group itself
 * does not grow steadily (a polling loop alternating between a timer and a socket).
 */
export function suspectReason(group: LeakGroup, controllers: LeakingControllers): SuspectReason | null {
  if (!group.descriptor.attributed || group.count === 0) return null;
  if (group.growing) return "group-growth";
  for (const [controller, count] of group.controllers) {
    if (count > 0 && controllers.isLeaking(controller)) return "controller-growth";
  }
  return null;
}

export function summarizeGroup(group: LeakGroup, reason: SuspectReason | null): LeakGroupSummary {
  const stack = formatFrames(group.descriptor.frames);
  return {
    id: group.descriptor.id,
    type: group.descriptor.type,
    attributed: group.descriptor.attributed,
    suspect: reason !== null,
    suspectBecause: reason,
    growing: group.growing,
    count: group.count,
    maxCount: group.maxCount,
    firstSeen: group.firstSeen,
    lastSeen: group.lastSeen,
    growingSince: group.growingSince ?? null,
    growthPerMinute: group.growthPerMinute(),
    controllers: [...group.controllers].map(([controller, count]) => ({ controller, count })).sort((a, b) => b.count - a.count),
    sampleKeys: [...group.sampleKeys],
    stackSampled: group.descriptor.stackSampled,
    stack,
    topFrame: stack[0] ?? null,
  };
}
