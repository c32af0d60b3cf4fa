import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DelayHeap } from "../../../server/runtime/workqueue/delay-heap";
import { Fifo } from "../../../server/runtime/workqueue/fifo";

describe("Fifo", () => {
  it("behaves like an array queue under any sequence of push and shift", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 500 }), (ops) => {
        const fifo = new Fifo<number>(8);
        const model: number[] = [];
        for (const op of ops) {
          if (op === null) expect(fifo.shift()).toBe(model.shift());
          else {
            fifo.push(op);
            model.push(op);
          }
          expect(fifo.length).toBe(model.length);
          expect(fifo.peek()).toBe(model[0]);
        }
        expect([...fifo]).toEqual(model);
      }),
    );
  });
});

describe("DelayHeap", () => {
  it("pops in ready order and keeps the earlier deadline (and its reason) for a key scheduled twice", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1000 })), { maxLength: 200 }), (schedules) => {
        const heap = new DelayHeap<number, number>();
        const earliest = new Map<number, number>();
        for (const [key, at] of schedules) {
          heap.schedule(key, at, at);
          earliest.set(key, Math.min(earliest.get(key) ?? Number.POSITIVE_INFINITY, at));
        }
        expect(heap.size).toBe(earliest.size);
        const popped: [number, number][] = [];
        for (let entry = heap.popReady(Number.POSITIVE_INFINITY); entry; entry = heap.popReady(Number.POSITIVE_INFINITY)) {
          expect(entry.reason).toBe(entry.readyAt);
          popped.push([entry.key, entry.readyAt]);
        }
        expect(popped.map(([, at]) => at)).toEqual([...popped.map(([, at]) => at)].sort((a, b) => a - b));
        expect(new Map(popped)).toEqual(earliest);
      }),
    );
  });

  it("pops nothing before its time", () => {
    const heap = new DelayHeap<string>();
    heap.schedule("a", 10, undefined);
    expect(heap.schedule("a", 20, undefined)).toBe(false);
    expect(heap.popReady(9)).toBeUndefined();
    expect(heap.popReady(10)?.key).toBe("a");
    expect(heap.size).toBe(0);
  });
});
