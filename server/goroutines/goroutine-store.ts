import type { PrismaClient } from "../store/prisma";
import type { GoroutineGroup } from "./goroutine-groups";
import { formatGoFrame } from "./user-frames";

/** A stored group as the API shows it. */
export interface StoredGoroutineGroup {
  id: number;
  targetId: number;
  state: string;
  topFrame: string | null;
  userStack: string[];
  frames: string[];
  createdBy: string | null;
  firstSeen: number;
  lastSeen: number;
}

export interface GoroutineSnapshotRow {
  at: number;
  total: number;
  leaked: number | null;
  /** Stored group id → count. */
  counts: Map<number, number>;
}

/**
 * Goroutine groups and their counts over time in Postgres, compactly: a group's stack is
 * written once (goroutine_groups), and each dump is one row of parallel arrays
 * (goroutine_snapshots: group ids, counts), a few hundred bytes for a typical operator.
 * Bounded by retention: snapshots older than it, and groups not seen since, are deleted.
 */
export class GoroutineStore {
  /** (target, key hash) → stored id, so each group is upserted once per process. */
  private readonly ids = new Map<string, number>();

  constructor(private readonly prisma: PrismaClient) {}

  /** Stores one dump's groups; returns group key hash → stored id. */
  async record(targetId: number, at: number, groups: readonly GoroutineGroup[], total: number, leaked: number | null): Promise<Map<string, number>> {
    const when = new Date(at);
    const known = new Map<string, number>();
    for (const group of groups) {
      const cacheKey = `${targetId}\u0000${group.id}`;
      let id = this.ids.get(cacheKey);
      if (id === undefined) {
        const row = await this.prisma.goroutineGroup.upsert({
          where: { targetId_keyHash: { targetId, keyHash: group.id } },
          create: {
            targetId,
            keyHash: group.id,
            state: group.state,
            topFrame: group.topUserFrame,
            stack: { userStack: group.userStack, frames: group.frames.map(formatGoFrame), createdBy: group.createdBy ? formatGoFrame(group.createdBy) : null },
            firstSeen: when,
            lastSeen: when,
          },
          update: { lastSeen: when },
          select: { id: true },
        });
        id = row.id;
        this.ids.set(cacheKey, id);
      }
      known.set(group.id, id);
    }
    const ids = [...known.values()];
    await this.prisma.$transaction([
      this.prisma.goroutineSnapshot.upsert({
        where: { targetId_at: { targetId, at: when } },
        create: { targetId, at: when, total, groupIds: ids, counts: groups.map((g) => g.count), leaked },
        update: { total, groupIds: ids, counts: groups.map((g) => g.count), leaked },
      }),
      this.prisma.goroutineGroup.updateMany({ where: { id: { in: ids } }, data: { lastSeen: when } }),
    ]);
    return known;
  }

  /** Snapshots of `targetId` in [from, to], oldest first. */
  async snapshots(targetId: number, from: number, to: number): Promise<GoroutineSnapshotRow[]> {
    const rows = await this.prisma.goroutineSnapshot.findMany({
      where: { targetId, at: { gte: new Date(from), lte: new Date(to) } },
      orderBy: { at: "asc" },
    });
    return rows.map((r) => ({ at: r.at.getTime(), total: r.total, leaked: r.leaked, counts: new Map(r.groupIds.map((id, i) => [id, r.counts[i] ?? 0])) }));
  }

  /** The latest snapshot at or before `at`. */
  async snapshotAt(targetId: number, at: number): Promise<GoroutineSnapshotRow | null> {
    const r = await this.prisma.goroutineSnapshot.findFirst({ where: { targetId, at: { lte: new Date(at) } }, orderBy: { at: "desc" } });
    return r ? { at: r.at.getTime(), total: r.total, leaked: r.leaked, counts: new Map(r.groupIds.map((id, i) => [id, r.counts[i] ?? 0])) } : null;
  }

  async groups(ids: readonly number[]): Promise<StoredGoroutineGroup[]> {
    if (ids.length === 0) return [];
    const rows = await this.prisma.goroutineGroup.findMany({ where: { id: { in: [...ids] } } });
    return rows.map((r) => {
      const stack = r.stack as { userStack?: string[]; frames?: string[]; createdBy?: string | null };
      return {
        id: r.id,
        targetId: r.targetId,
        state: r.state,
        topFrame: r.topFrame,
        userStack: stack.userStack ?? [],
        frames: stack.frames ?? [],
        createdBy: stack.createdBy ?? null,
        firstSeen: r.firstSeen.getTime(),
        lastSeen: r.lastSeen.getTime(),
      };
    });
  }

  /** Deletes snapshots older than `before`, and groups not seen since. */
  async prune(before: number): Promise<{ snapshots: number; groups: number }> {
    const cutoff = new Date(before);
    const snapshots = await this.prisma.goroutineSnapshot.deleteMany({ where: { at: { lt: cutoff } } });
    const stale = await this.prisma.goroutineGroup.findMany({ where: { lastSeen: { lt: cutoff } }, select: { id: true, targetId: true, keyHash: true } });
    if (stale.length > 0) await this.prisma.goroutineGroup.deleteMany({ where: { id: { in: stale.map((g) => g.id) } } });
    for (const g of stale) this.ids.delete(`${g.targetId}\u0000${g.keyHash}`);
    return { snapshots: snapshots.count, groups: stale.length };
  }
}
