import { describe, expect, it } from "vitest";
import { ActiveResourceHistory } from "../../../server/leaks/active-resource-history";
import { ResourceTable } from "../../../server/leaks/resource-table";
import { Ring } from "../../../server/leaks/ring";
import { TrackedResource } from "../../../server/leaks/tracked-resource";
import { reconcileOf } from "../../leak-corpus/harness";

describe("Ring", () => {
  it("evicts the oldest item when full", () => {
    const ring = new Ring<number>(3);
    expect([1, 2, 3, 4].map((n) => ring.push(n))).toEqual([undefined, undefined, undefined, 1]);
    expect(ring.toArray()).toEqual([2, 3, 4]);
    expect(ring.last()).toBe(4);
    expect(() => new Ring(0)).toThrow(/positive integer/);
  });
});

describe("ActiveResourceHistory", () => {
  it("keeps recent points at full resolution and folds older ones into per-minute maxima", () => {
    const history = new ActiveResourceHistory({ fineCapacity: 3, bucketMs: 60_000, coarseCapacity: 2 });
    const points = [0, 10_000, 70_000, 80_000, 130_000, 140_000, 200_000].map((t, i) => ({ t, counts: { Timeout: i } }));
    for (const p of points) history.record(p);
    expect(history.query().map((p) => [p.t, p.counts.Timeout])).toEqual([
      [0, 1],
      [60_000, 3],
      [130_000, 4],
      [140_000, 5],
      [200_000, 6],
    ]);
    expect(history.query(140_000)).toHaveLength(2);
  });

  it("never holds more than its capacities", () => {
    const history = new ActiveResourceHistory({ fineCapacity: 10, bucketMs: 1_000, coarseCapacity: 5 });
    for (let t = 0; t < 100_000; t += 100) history.record({ t, counts: { Timeout: t } });
    expect(history.query().length).toBeLessThanOrEqual(16);
  });
});

describe("ResourceTable", () => {
  const resource = (id: number, controller: string | undefined, fd = -1) =>
    new TrackedResource(id, fd >= 0 ? "FileDescriptor" : "Timeout", 0, controller ? reconcileOf(controller, "k") : undefined, undefined, fd, undefined);

  it("refuses and counts resources over the cap, per controller", () => {
    const table = new ResourceTable(3, 1);
    expect([1, 2, 3, 4].map((id) => table.add(resource(id, "pods")))).toEqual([true, true, true, false]);
    expect(table.add(resource(5, undefined))).toBe(false);
    expect(table.size).toBe(3);
    expect(table.dropped).toBe(2);
    expect([...table.droppedByController()]).toEqual([
      ["pods", 1],
      ["(unattributed)", 1],
    ]);
  });

  it("caps unattributed resources separately", () => {
    const table = new ResourceTable(10, 1);
    expect(table.add(resource(1, undefined))).toBe(true);
    expect(table.add(resource(2, undefined))).toBe(false);
    expect(table.add(resource(3, "pods"))).toBe(true);
    table.delete(1);
    expect(table.unattributed).toBe(0);
    expect(table.add(resource(4, undefined))).toBe(true);
  });

  it("forgets descriptors by number, and replaces a reused number", () => {
    const table = new ResourceTable(10, 10);
    table.add(resource(1, "pods", 7));
    table.add(resource(2, "pods", 7));
    expect(table.size).toBe(1);
    table.deleteFd(7);
    expect(table.size).toBe(0);
  });
});
