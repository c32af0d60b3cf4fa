import type { GroupDescriptor } from "./leak-groups";
import { Ring } from "./ring";

/** Every group's count at one instant (groups with no members are omitted). */
export interface GroupSnapshot {
  t: number;
  counts: ReadonlyMap<string, { descriptor: GroupDescriptor; count: number }>;
}

export interface GroupGrowth {
  descriptor: GroupDescriptor;
  before: number;
  after: number;
  delta: number;
}

export interface GroupDiff {
  /** The instants actually compared (the snapshots nearest before the requested times). */
  from: number;
  to: number;
  grown: GroupGrowth[];
}

/**
 * Periodic snapshots of group counts in a bounded ring, for the pprof `-base` view:
 * what grew between two points in time. Snapshots share the groups' descriptor
 * objects, so each costs one small map.
 */
export class GroupSnapshots {
  private readonly ring: Ring<GroupSnapshot>;
  private lastTaken = Number.NEGATIVE_INFINITY;
  /** Whether the ring has dropped a snapshot (then its oldest no longer marks when tracking began). */
  private evicted = false;

  constructor(
    capacity: number,
    private readonly intervalMs: number,
  ) {
    this.ring = new Ring(capacity);
  }

  get length(): number {
    return this.ring.length;
  }

  /** Takes `snapshot` if at least one interval has passed since the last one. */
  offer(snapshot: GroupSnapshot): void {
    if (snapshot.t - this.lastTaken < this.intervalMs) return;
    if (this.ring.push(snapshot) !== undefined) this.evicted = true;
    this.lastTaken = snapshot.t;
  }

  /** The latest snapshot taken at or before `t` (the oldest one if `t` predates them all). */
  at(t: number): GroupSnapshot | undefined {
    let found: GroupSnapshot | undefined;
    for (let i = 0; i < this.ring.length; i++) {
      const snapshot = this.ring.at(i)!;
      if (snapshot.t <= t) found = snapshot;
      else break;
    }
    return found ?? this.ring.at(0);
  }

  /**
   * Groups whose count grew from `from` to `to`, largest growth first. `current` (the
   * latest sample) stands in for `to` when it is newer than the snapshot before `to`.
   * A `from` before tracking began compares against nothing tracked (every count 0),
   * not against the first snapshot, so "since before the start" shows all that grew.
   */
  diff(from: number, to: number, current?: GroupSnapshot): GroupDiff {
    const first = this.ring.at(0) ?? current;
    const base = first && from < first.t && !this.evicted ? { t: from, counts: new Map() } : this.at(from);
    let target = this.at(to);
    if (current && (!target || (current.t <= to && current.t > target.t))) target = current;
    if (!base || !target) return { from, to, grown: [] };
    const grown: GroupGrowth[] = [];
    for (const [key, { descriptor, count }] of target.counts) {
      const before = base.counts.get(key)?.count ?? 0;
      if (count > before) grown.push({ descriptor, before, after: count, delta: count - before });
    }
    grown.sort((a, b) => b.delta - a.delta);
    return { from: base.t, to: target.t, grown };
  }
}
