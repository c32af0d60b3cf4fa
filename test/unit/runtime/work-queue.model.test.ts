import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../server/runtime/clock";
import { ControllerMetrics } from "../../../server/runtime/metrics/runtime-metrics";
import type { QueueItem } from "../../../server/runtime/workqueue/queue";
import { ItemExponentialRateLimiter } from "../../../server/runtime/workqueue/rate-limiters";
import { RateLimitingQueue } from "../../../server/runtime/workqueue/rate-limiting-queue";
import { type DrainResult, type Handout, WorkQueueModel } from "./work-queue-model";

/** How many command sequences one run checks: at least 1,000; WORKQUEUE_MODEL_RUNS asks for more. */
const SEQUENCES = Math.max(1_000, Number(process.env.WORKQUEUE_MODEL_RUNS) || 0);

const KEYS = ["a", "b", "c", "d"] as const;
const DAY_MS = 86_400_000;
const BASE_MS = 5;
const CAP_MS = 1_000_000;

class Real {
  readonly clock = new ManualClock();
  readonly metrics = new ControllerMetrics("model");
  readonly queue = new RateLimitingQueue<string>({
    clock: this.clock,
    metrics: this.metrics,
    rateLimiter: new ItemExponentialRateLimiter(BASE_MS, CAP_MS),
    // The in-flight gauges are not modelled; a day apart keeps a 70-day step to 70 wake-ups.
    unfinishedWorkUpdatePeriodMs: DAY_MS,
  });
  readonly received: Handout[] = [];
  readonly drains: DrainResult[] = [];

  recordGet(item: Promise<QueueItem<string, undefined>>): void {
    item.then((got) => this.received.push(got.shutdown ? { shutdown: true } : { shutdown: false, key: got.key }));
  }

  recordDrain(drained: Promise<boolean>): void {
    const index = this.drains.push("pending") - 1;
    drained.then((value) => {
      this.drains[index] = value;
    });
  }
}

/** Lets the queue's promise continuations (get, drain) run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 4; i += 1) await Promise.resolve();
}

function compare(model: WorkQueueModel, real: Real, after: string): void {
  const q = real.queue;
  const seen = {
    queued: q.queuedKeys(),
    depth: q.depth(),
    depthMetric: real.metrics.depth,
    len: q.len(),
    processing: KEYS.filter((k) => q.isProcessing(k)),
    dirty: KEYS.filter((k) => q.isDirty(k)),
    delayed: q.delayedCount(),
    readyAt: KEYS.map((k) => q.readyAt(k) ?? null),
    adds: real.metrics.adds,
    retries: real.metrics.retries,
    numRequeues: KEYS.map((k) => q.numRequeues(k)),
    received: real.received,
    drains: real.drains,
    shuttingDown: q.shuttingDown(),
    now: real.clock.now(),
  };
  const expected = {
    queued: model.queue,
    depth: model.dirty.size,
    depthMetric: model.dirty.size,
    len: model.queue.length,
    processing: KEYS.filter((k) => model.processing.has(k)),
    dirty: KEYS.filter((k) => model.dirty.has(k)),
    delayed: model.waiting.size,
    readyAt: KEYS.map((k) => model.waiting.get(k)?.at ?? null),
    adds: model.adds,
    retries: model.retries,
    numRequeues: KEYS.map((k) => model.numRequeues(k)),
    received: model.received,
    drains: model.drains,
    shuttingDown: model.shutting,
    now: model.now,
  };
  expect(seen, `after ${after}`).toEqual(expected);
}

type Cmd = fc.AsyncCommand<WorkQueueModel, Real>;

function command(label: string, apply: (model: WorkQueueModel, real: Real) => void): Cmd {
  return {
    check: () => true,
    async run(model, real) {
      apply(model, real);
      await flush();
      compare(model, real, label);
    },
    toString: () => label,
  };
}

const key = fc.constantFrom(...KEYS);
/** Delays from "now" (and below) to many days, past Node's 2^31−1 ms timer limit. */
const delay = fc.oneof(
  fc.constantFrom(0, -1),
  fc.integer({ min: 1, max: 50 }),
  fc.integer({ min: 1, max: 60 * DAY_MS }),
  fc.constantFrom(2 ** 31 - 1, 2 ** 31, 30 * DAY_MS),
);
const step = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 70 * DAY_MS }), fc.constantFrom(2 ** 31 - 1, 30 * DAY_MS));

/** A command applied alike to the model and to the queue. */
const both = (label: string, onModel: (m: WorkQueueModel) => void, onReal: (r: Real) => void): Cmd =>
  command(label, (m, r) => {
    onModel(m);
    onReal(r);
  });

const commands = [
  key.map((k) => both(`add(${k})`, (m) => m.add(k), (r) => r.queue.add(k))),
  fc.tuple(key, delay).map(([k, d]) => both(`addAfter(${k}, ${d})`, (m) => m.addAfter(k, d), (r) => r.queue.addAfter(k, d))),
  key.map((k) =>
    command(`addRateLimited(${k})`, (m, r) => {
      expect(r.queue.addRateLimited(k)).toBe(m.addRateLimited(k));
    }),
  ),
  key.map((k) => both(`forget(${k})`, (m) => m.forget(k), (r) => r.queue.forget(k))),
  fc.constant(
    command("tryGet()", (m, r) => {
      const got = r.queue.tryGet();
      expect(got === undefined ? undefined : got.shutdown ? { shutdown: true } : { shutdown: false, key: got.key }).toEqual(m.tryGet());
    }),
  ),
  fc.constant(both("get()", (m) => m.get(), (r) => r.recordGet(r.queue.get()))),
  key.map((k) => both(`done(${k})`, (m) => m.done(k), (r) => r.queue.done(k))),
  step.map((ms) => both(`advance(${ms})`, (m) => m.advance(ms), (r) => r.clock.advance(ms))),
  fc.constant(both("shutDown()", (m) => m.shutDown(), (r) => r.queue.shutDown())),
  fc.constant(both("shutDownWithDrain()", (m) => m.shutDownWithDrain(), (r) => r.recordDrain(r.queue.shutDownWithDrain()))),
];

describe("WorkQueue against a reference model of client-go's workqueue (fast-check commands, fake clock)", () => {
  it(`agrees on order, dedup, dirty/processing, depth, counters, deadlines and shutdown over ${SEQUENCES} command sequences`, async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
        runs += 1;
        await fc.asyncModelRun(() => ({ model: new WorkQueueModel(BASE_MS, CAP_MS), real: new Real() }), cmds);
      }),
      { numRuns: SEQUENCES },
    );
    expect(runs).toBeGreaterThanOrEqual(SEQUENCES);
  });
});
