import { createHash } from "node:crypto";
import type { GoFrame, Goroutine } from "./goroutine-dump";
import { formatGoFrame, userFrames } from "./user-frames";

/**
 * Goroutines grouped like a pprof goroutine profile: same state and same stack (every
 * frame's function and file:line, plus the creating `go` statement). Goroutines of one
 * group are interchangeable for leak hunting: a group that keeps growing is a leak.
 */
export interface GoroutineGroup {
  /** Short stable id: hash of the key (state + signature). */
  id: string;
  key: string;
  state: string;
  count: number;
  /** Longest wait among the members, in minutes. */
  maxWaitMinutes: number;
  /** Members the runtime proved leaked (goroutineleak profile). */
  leaked: number;
  /** Innermost first, as the dump has them. */
  frames: GoFrame[];
  createdBy: GoFrame | null;
  /** The user's frames, formatted, innermost first (the first names the leaking line). */
  userStack: string[];
  topUserFrame: string | null;
  /** A few member ids, lowest first. */
  sampleIds: number[];
}

const SAMPLE_IDS = 5;

export function groupId(key: string): string {
  return createHash("sha1").update(key).digest("hex").slice(0, 12);
}

/** The group key: state, then each frame's function@file:line, then the creation frame. */
export function groupKey(g: Goroutine): string {
  let key = g.state;
  for (const f of g.frames) key += `\n${f.fn}@${f.file}:${f.line}`;
  if (g.createdBy) key += `\ncreated by ${g.createdBy.fn}@${g.createdBy.file}:${g.createdBy.line}`;
  return key;
}

/** Groups `goroutines`, largest group first. */
export function groupGoroutines(goroutines: readonly Goroutine[], libraries?: readonly string[]): GoroutineGroup[] {
  const byKey = new Map<string, GoroutineGroup>();
  for (const g of goroutines) {
    const key = groupKey(g);
    let group = byKey.get(key);
    if (!group) {
      const stackForUser = g.createdBy ? [...g.frames, g.createdBy] : g.frames;
      const userStack = userFrames(stackForUser, libraries).map(formatGoFrame);
      group = {
        id: groupId(key),
        key,
        state: g.state,
        count: 0,
        maxWaitMinutes: 0,
        leaked: 0,
        frames: g.frames,
        createdBy: g.createdBy,
        userStack,
        topUserFrame: userStack[0] ?? null,
        sampleIds: [],
      };
      byKey.set(key, group);
    }
    group.count += 1;
    group.maxWaitMinutes = Math.max(group.maxWaitMinutes, g.waitMinutes);
    if (g.leaked) group.leaked += 1;
    if (group.sampleIds.length < SAMPLE_IDS) group.sampleIds.push(g.id);
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
