import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../server/runtime/clock";
import { ControllerMetrics } from "../../../server/runtime/metrics/runtime-metrics";
import { DelayingQueue } from "../../../server/runtime/workqueue/delaying-queue";

type Op = { kind: "add"; key: string } | { kind: "addAfter"; key: string; delay: number } | { kind: "tick"; ms: number } | { kind: "shutDownEarly" };

const key = fc.constantFrom("a", "b", "c", "d", "e");
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("add" as const), key }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("addAfter" as const), key, delay: fc.integer({ min: -5, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "shutDownEarly" as const }) },
);

/** Records, in one global order, every add the queue accepts and every hand-out. */
class RecordingQueue extends DelayingQueue<string> {
  seq = 0;
  readonly lastAccepted = new Map<string, number>();

  override add(k: string): boolean {
    const shutting = this.shuttingDown();
    const result = super.add(k);
    // An add is owed a later processing unless the queue was shutting down (then it is dropped).
    if (!shutting) this.lastAccepted.set(k, ++this.seq);
    return result;
  }
}

describe("WorkQueue invariants under random interleavings (fast-check scheduler)", () => {
  it("one worker per key, every add processed after it, no duplicates queued, drain completes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), async (s, ops, workerCount, drain) => {
        const clock = new ManualClock();
        const q = new RecordingQueue({ clock, metrics: new ControllerMetrics("prop") });
        const lastStart = new Map<string, number>();
        const active = new Set<string>();
        const violations: string[] = [];
        const checkQueue = (where: string) => {
          const queued = q.queuedKeys();
          if (new Set(queued).size !== queued.length) violations.push(`${where}: duplicate in queue ${queued.join(",")}`);
          for (const k of queued) {
            if (!q.isDirty(k)) violations.push(`${where}: queued key ${k} is not dirty`);
            if (q.isProcessing(k)) violations.push(`${where}: queued key ${k} is being processed`);
          }
        };
        const worker = async (id: number) => {
          for (;;) {
            const item = await q.get();
            if (item.shutdown) return;
            if (active.has(item.key)) violations.push(`two workers on ${item.key}`);
            active.add(item.key);
            lastStart.set(item.key, ++q.seq);
            checkQueue(`get by ${id}`);
            await s.schedule(Promise.resolve(), `worker ${id} works on ${item.key}`);
            active.delete(item.key);
            q.done(item.key);
            checkQueue(`done by ${id}`);
          }
        };
        const workers = Array.from({ length: workerCount }, (_, id) => worker(id));
        let drained: boolean | undefined;
        const producer = (async () => {
          for (const o of ops) {
            await s.schedule(Promise.resolve(), `op ${JSON.stringify(o)}`);
            if (o.kind === "add") q.add(o.key);
            else if (o.kind === "addAfter") q.addAfter(o.key, o.delay);
            else if (o.kind === "tick") clock.advance(o.ms);
            else q.shutDown();
            checkQueue(`op ${o.kind}`);
          }
          clock.advance(1_000);
          if (drain) drained = await q.shutDownWithDrain();
          else q.shutDown();
        })();
        await s.waitIdle();
        await producer;
        await Promise.all(workers);

        expect(violations).toEqual([]);
        if (drain && !ops.some((o) => o.kind === "shutDownEarly")) expect(drained).toBe(true);
        for (const [k, addedAt] of q.lastAccepted) {
          expect(lastStart.get(k) ?? -1, `key ${k} added at #${addedAt} was not processed after it`).toBeGreaterThan(addedAt);
        }
        expect(q.processingCount()).toBe(0);
        expect(q.len()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
