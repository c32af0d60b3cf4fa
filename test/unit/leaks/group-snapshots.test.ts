import { describe, expect, it } from "vitest";
import { GroupSnapshots } from "../../../server/leaks/group-snapshots";
import type { GroupDescriptor } from "../../../server/leaks/leak-groups";

const descriptor = (id: string): GroupDescriptor => ({ id, key: id, type: "Timeout", attributed: true, frames: [], stackSampled: false });
const a = descriptor("a");
const b = descriptor("b");
const snap = (t: number, counts: [GroupDescriptor, number][]) => ({ t, counts: new Map(counts.map(([d, count]) => [d.key, { descriptor: d, count }])) });

describe("GroupSnapshots.diff", () => {
  it("returns the groups that grew between two times, largest growth first (pprof -base)", () => {
    const snapshots = new GroupSnapshots(10, 1_000);
    snapshots.offer(snap(0, [[a, 5]]));
    snapshots.offer(snap(1_000, [[a, 6], [b, 1]]));
    snapshots.offer(snap(2_000, [[a, 4], [b, 9]]));
    expect(snapshots.diff(0, 2_000)).toEqual({
      from: 0,
      to: 2_000,
      grown: [{ descriptor: b, before: 0, after: 9, delta: 9 }],
    });
    expect(snapshots.diff(0, 1_500).grown.map((g) => [g.descriptor.id, g.delta])).toEqual([
      ["a", 1],
      ["b", 1],
    ]);
  });

  it("takes at most one snapshot per interval and keeps a bounded ring", () => {
    const snapshots = new GroupSnapshots(2, 1_000);
    for (const t of [0, 500, 1_000, 2_000, 3_000]) snapshots.offer(snap(t, [[a, t]]));
    expect(snapshots.length).toBe(2);
    expect(snapshots.at(0)?.t).toBe(2_000);
  });

  it("uses the latest sample when it is newer than every snapshot", () => {
    const snapshots = new GroupSnapshots(10, 60_000);
    snapshots.offer(snap(0, [[a, 1]]));
    expect(snapshots.diff(0, 30_000, snap(30_000, [[a, 3]])).grown).toEqual([{ descriptor: a, before: 1, after: 3, delta: 2 }]);
    expect(new GroupSnapshots(1, 1).diff(0, 1).grown).toEqual([]);
  });

  it("counts from zero when `from` is before tracking began, and from the oldest kept snapshot once the ring has dropped some", () => {
    const snapshots = new GroupSnapshots(2, 1_000);
    snapshots.offer(snap(10_000, [[a, 23]]));
    // Only one snapshot and "to" before the next: everything the tracker has seen grew since before its start.
    expect(snapshots.diff(0, 10_500).grown).toEqual([{ descriptor: a, before: 0, after: 23, delta: 23 }]);
    expect(snapshots.diff(10_000, 10_500).grown).toEqual([]);
    snapshots.offer(snap(11_000, [[a, 30]]));
    snapshots.offer(snap(12_000, [[a, 31]]));
    // The snapshot at 10 s is gone: a `from` before 11 s is answered from the oldest kept one, not from zero.
    expect(snapshots.diff(0, 12_000).grown).toEqual([{ descriptor: a, before: 30, after: 31, delta: 1 }]);
    // No snapshot yet, only the latest sample.
    expect(new GroupSnapshots(2, 1_000).diff(0, 5_000, snap(4_000, [[b, 2]])).grown).toEqual([{ descriptor: b, before: 0, after: 2, delta: 2 }]);
  });
});
