import { describe, expect, it } from "vitest";
import { currentReconcile, type ReconcileContext } from "../../../server/runtime/context";
import { type ReconcileRequest, ReconcileTimeoutError } from "../../../server/runtime/controller/controller";
import { done, error, requeue, requeueAfter, TerminalError, terminal } from "../../../server/runtime/controller/result";
import { makeController, settle } from "./controller-harness";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("Controller result handling", () => {
  it("counts success and forgets the key's failures", async () => {
    const seen: ReconcileRequest[] = [];
    const { controller, m } = makeController((request) => {
      seen.push(request);
    });
    controller.enqueue("ns/a", "object-added");
    await settle();
    expect(seen.map((r) => [r.key, r.reason, r.retries])).toEqual([["ns/a", "object-added", 0]]);
    expect(m.results).toEqual({ success: 1, error: 0, requeue: 0, requeue_after: 0 });
    expect(m.reasons["object-added"]).toBe(1);
    expect(controller.queue.numRequeues("ns/a")).toBe(0);
  });

  it("retries a returned error with backoff and reason error-backoff, then forgets on success", async () => {
    const attempts: ReconcileRequest[] = [];
    const { clock, controller, m } = makeController((request) => {
      attempts.push(request);
      return attempts.length <= 2 ? error(new Error(`attempt ${attempts.length} failed`)) : done();
    });
    controller.enqueue("a");
    await settle();
    expect(attempts).toHaveLength(1);
    clock.advance(4);
    await settle();
    expect(attempts).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(attempts).toHaveLength(2);
    expect(attempts[1].reason).toBe("error-backoff");
    expect(attempts[1].retries).toBe(1);
    clock.advance(10);
    await settle();
    expect(attempts).toHaveLength(3);
    expect(m.results.error).toBe(2);
    expect(m.errors).toBe(2);
    expect(m.panics).toBe(0);
    expect(m.results.success).toBe(1);
    expect(controller.queue.numRequeues("a")).toBe(0);
    const state = controller.state();
    expect(state.recentErrors.map((e) => [e.kind, e.message])).toEqual([
      ["error", "attempt 2 failed"],
      ["error", "attempt 1 failed"],
    ]);
    expect(state.topRetried).toEqual([]);
  });

  it("counts a throw or rejection as a panic and an error, and retries it", async () => {
    let calls = 0;
    const { clock, controller, m } = makeController(async () => {
      calls += 1;
      if (calls === 1) throw new Error("boom");
      if (calls === 2) throw "not an error";
    });
    controller.enqueue("a");
    await settle();
    clock.advance(5);
    await settle();
    clock.advance(10);
    await settle();
    expect(calls).toBe(3);
    expect(m.panics).toBe(2);
    expect(m.errors).toBe(2);
    expect(m.results).toEqual({ success: 1, error: 2, requeue: 0, requeue_after: 0 });
    expect(controller.state().recentErrors.map((e) => [e.kind, e.message])).toEqual([
      ["panic", "non-Error thrown: not an error"],
      ["panic", "boom"],
    ]);
  });

  it("does not requeue terminal errors, returned or thrown, and counts them as errors too", async () => {
    let calls = 0;
    const { clock, controller, m } = makeController((request) => {
      calls += 1;
      if (request.key === "thrown") throw new TerminalError("spec is invalid");
      return terminal(new Error("cannot be fixed by retrying"));
    });
    controller.enqueue("returned");
    controller.enqueue("thrown");
    await settle();
    clock.advance(60_000);
    await settle();
    expect(calls).toBe(2);
    expect(m.terminalErrors).toBe(2);
    expect(m.errors).toBe(2);
    expect(m.panics).toBe(0);
    expect(m.results.error).toBe(2);
    expect(controller.queue.delayedCount()).toBe(0);
  });

  it("requeue goes through the rate limiter with result requeue", async () => {
    const reasons: string[] = [];
    const { clock, controller, m } = makeController((request) => {
      reasons.push(request.reason);
      return reasons.length === 1 ? requeue() : done();
    });
    controller.enqueue("a");
    await settle();
    expect(controller.queue.delayedCount()).toBe(1);
    clock.advance(5);
    await settle();
    expect(reasons).toEqual(["object-updated", "requeue"]);
    expect(m.results.requeue).toBe(1);
    expect(m.retries).toBe(1);
  });

  it("requeueAfter re-adds the key after exactly that delay, resetting the backoff", async () => {
    const reasons: string[] = [];
    const { clock, controller, m } = makeController((request) => {
      reasons.push(request.reason);
      return reasons.length === 1 ? requeueAfter(1_000) : done();
    });
    controller.enqueue("a");
    await settle();
    clock.advance(999);
    await settle();
    expect(reasons).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(reasons).toEqual(["object-updated", "requeue-after"]);
    expect(m.results.requeue_after).toBe(1);
    expect(() => requeueAfter(-1)).toThrow(RangeError);
  });
});

describe("Controller concurrency, context and lifecycle", () => {
  it("never reconciles one key in two workers; an add during processing reconciles it once more", async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const { controller } = makeController(
      async () => {
        calls += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await gate.promise;
        running -= 1;
      },
      { maxConcurrentReconciles: 4 },
    );
    controller.enqueue("a");
    await settle();
    for (let i = 0; i < 5; i += 1) controller.enqueue("a");
    await settle();
    expect(calls).toBe(1);
    gate.resolve();
    await settle();
    expect(calls).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it("runs every reconcile inside the reconcile context, also after an await", async () => {
    const contexts: (ReconcileContext | undefined)[] = [];
    const { controller } = makeController(async (request) => {
      contexts.push(currentReconcile());
      await new Promise((resolve) => setImmediate(resolve));
      contexts.push(currentReconcile());
      expect(currentReconcile()?.reconcileId).toBe(request.reconcileId);
    });
    controller.enqueue("ns/x");
    await settle();
    await settle();
    expect(contexts).toHaveLength(2);
    expect(contexts[0]).toMatchObject({ controller: "test", key: "ns/x" });
    expect(contexts[1]).toEqual(contexts[0]);
    expect(currentReconcile()).toBeUndefined();
  });

  it("reports each settled reconcile with the very context object it ran in, never an unsettled one", async () => {
    const ran = new Map<string, ReconcileContext | undefined>();
    const settledContexts: ReconcileContext[] = [];
    const { controller } = makeController(
      async (request) => {
        ran.set(request.key, currentReconcile());
        if (request.key === "throws") throw new Error("x");
        if (request.key === "hangs") await new Promise(() => undefined);
      },
      { onReconcileSettled: (context) => settledContexts.push(context), maxConcurrentReconciles: 3 },
    );
    for (const key of ["ok", "throws", "hangs"]) controller.enqueue(key);
    await settle();
    expect(settledContexts.map((c) => c.key).sort()).toEqual(["ok", "throws"]);
    for (const context of settledContexts) expect(context).toBe(ran.get(context.key));
  });

  it("a reconcile that never settles keeps its worker and shows as long-running", async () => {
    const started: string[] = [];
    const { clock, controller, m } = makeController((request) => {
      started.push(request.key);
      return request.key === "stuck" ? new Promise<undefined>(() => undefined) : undefined;
    });
    controller.enqueue("stuck");
    controller.enqueue("next");
    await settle();
    clock.advance(2_000);
    await settle();
    expect(started).toEqual(["stuck"]);
    expect(m.activeWorkers).toBe(1);
    expect(m.longestRunningSeconds).toBeCloseTo(2);
    expect(m.unfinishedSeconds).toBeCloseTo(2);
    const state = controller.state();
    expect(state.processing).toMatchObject([{ key: "stuck", runningMs: 2_000, timedOut: false }]);
    expect(state.queue).toMatchObject({ depth: 1, length: 1, processing: 1 });
    expect(state.workers).toEqual({ busy: 1, max: 1 });
  });

  it("aborts the signal and counts a timeout when a reconcile exceeds its timeout; the key is retried", async () => {
    const reasons: unknown[] = [];
    let calls = 0;
    const { clock, controller, m } = makeController(
      (request) => {
        calls += 1;
        if (calls > 1) return done();
        return new Promise<undefined>((_resolve, reject) => {
          request.signal.addEventListener("abort", () => {
            reasons.push(request.signal.reason);
            reject(request.signal.reason);
          });
        });
      },
      { reconcileTimeoutMs: 100 },
    );
    controller.enqueue("slow");
    await settle();
    clock.advance(99);
    await settle();
    expect(m.timeouts).toBe(0);
    clock.advance(1);
    await settle();
    expect(m.timeouts).toBe(1);
    expect(reasons[0]).toBeInstanceOf(ReconcileTimeoutError);
    expect(m.errors).toBe(1);
    expect(m.panics).toBe(0);
    expect(controller.state().recentErrors[0].kind).toBe("timeout");
    clock.advance(5);
    await settle();
    expect(calls).toBe(2);
  });

  it("stop aborts running reconciles, waits for them, and drops queued keys", async () => {
    let started = 0;
    let aborted = 0;
    const { controller } = makeController(async (request) => {
      started += 1;
      await new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve()));
      aborted += 1;
    });
    controller.enqueue("a");
    controller.enqueue("b");
    await settle();
    await expect(controller.stop()).resolves.toBe(true);
    await settle();
    expect([started, aborted]).toEqual([1, 1]);
    expect(controller.status).toBe("stopped");
    controller.enqueue("c");
    expect(controller.queue.len()).toBe(0);
  });

  it("stop also aborts reconciles that have their own deadline signal", async () => {
    const reasons: unknown[] = [];
    const { controller } = makeController(
      (request) =>
        new Promise<undefined>((resolve) => {
          request.signal.addEventListener("abort", () => {
            reasons.push(request.signal.reason);
            resolve(undefined);
          });
        }),
      { reconcileTimeoutMs: 60_000 },
    );
    controller.enqueue("a");
    await settle();
    await expect(controller.stop()).resolves.toBe(true);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).not.toBeInstanceOf(ReconcileTimeoutError);
    expect(controller.metrics.timeouts).toBe(0);
  });

  it("stop gives up on a reconcile that never settles after the drain timeout", async () => {
    const { clock, controller } = makeController(() => new Promise<undefined>(() => undefined), { drainTimeoutMs: 500 });
    controller.enqueue("forever");
    await settle();
    let result: boolean | undefined;
    void controller.stop().then((value) => {
      result = value;
    });
    await settle();
    expect(result).toBeUndefined();
    clock.advance(500);
    await settle();
    expect(result).toBe(false);
    expect(controller.status).toBe("stopped");
  });

  it("reports hot keys, top retried keys and health in its live state", async () => {
    const { controller } = makeController((request) => (request.key === "bad" ? error(new Error("nope")) : done()), { stuckAfterMs: 1_000 });
    for (let i = 0; i < 10; i += 1) controller.enqueue("hot");
    controller.enqueue("bad");
    await settle();
    const state = controller.state();
    expect(state.hotKeys[0]).toEqual({ key: "hot", adds: 10 });
    expect(state.topRetried).toEqual([{ key: "bad", retries: 1, lastError: "nope", nextRetryInMs: 5 }]);
    // "hot" was handed to the idle worker on its first add, so the second add dirtied it again.
    expect(state.totals).toMatchObject({ adds: 3, reconciles: 3, success: 2, error: 1 });
    expect(state.health).toBe("healthy");
  });
});
