import { describe, expect, it } from "vitest";
import type { ReconcileRequest } from "../../../server/runtime/controller/controller";
import { done, error, requeueAfter, terminal } from "../../../server/runtime/controller/result";
import { makeController, settle } from "./controller-harness";

describe("reconcile results as controller-runtime's reconcileHandler treats them", () => {
  it("a reconcile that returns success after its deadline is a success, not a timeout to retry", async () => {
    let calls = 0;
    let finish: () => void = () => undefined;
    const signals: AbortSignal[] = [];
    const { clock, controller, m } = makeController(
      (request) => {
        calls += 1;
        signals.push(request.signal);
        return new Promise<undefined>((resolve) => {
          finish = () => resolve(undefined);
        });
      },
      { reconcileTimeoutMs: 100 },
    );
    controller.enqueue("late");
    await settle();
    clock.advance(150);
    await settle();
    expect(m.timeouts).toBe(1);
    expect(signals[0].aborted).toBe(true);
    finish();
    await settle();
    expect(m.results).toEqual({ success: 1, error: 0, requeue: 0, requeue_after: 0 });
    expect(m.errors).toBe(0);
    clock.advance(60_000);
    await settle();
    expect(calls).toBe(1);
    expect(controller.queue.numRequeues("late")).toBe(0);
    expect(controller.state().recentErrors).toEqual([]);
  });

  it("a returned error after the deadline is still an error and is retried", async () => {
    let calls = 0;
    let finish: () => void = () => undefined;
    const { clock, controller, m } = makeController(
      () => {
        calls += 1;
        if (calls > 1) return done();
        return new Promise((resolve) => {
          finish = () => resolve(error(new Error("gave up")));
        });
      },
      { reconcileTimeoutMs: 100 },
    );
    controller.enqueue("late");
    await settle();
    clock.advance(150);
    finish();
    await settle();
    expect(m.results.error).toBe(1);
    clock.advance(5);
    await settle();
    expect(calls).toBe(2);
  });

  it("requeueAfter(0) is Result{RequeueAfter: 0}: a plain success, no requeue", async () => {
    let calls = 0;
    const { clock, controller, m } = makeController(() => {
      calls += 1;
      // Bounded, so that a controller which does requeue spins 50 times, not forever.
      return calls < 50 ? requeueAfter(0) : done();
    });
    controller.enqueue("zero");
    await settle();
    clock.advance(10_000);
    await settle();
    expect(calls).toBe(1);
    expect(m.results).toEqual({ success: 1, error: 0, requeue: 0, requeue_after: 0 });
    expect(m.retries).toBe(0);
    expect(controller.queue.depth() + controller.queue.delayedCount()).toBe(0);
  });

  it("a terminal error forgets the key's failures: numRequeues and the retry count agree, backoff restarts", async () => {
    const attempts: ReconcileRequest[] = [];
    const { clock, controller, m } = makeController((request) => {
      attempts.push(request);
      if (attempts.length <= 2) return error(new Error(`attempt ${attempts.length}`));
      if (attempts.length === 3) return terminal(new Error("cannot be fixed"));
      return error(new Error("fails again later"));
    });
    controller.enqueue("k");
    await settle();
    clock.advance(5);
    await settle();
    clock.advance(10);
    await settle();
    expect(attempts.map((a) => a.retries)).toEqual([0, 1, 2]);
    expect(m.terminalErrors).toBe(1);
    expect(controller.queue.numRequeues("k")).toBe(0);
    expect(controller.state().topRetried).toEqual([]);
    controller.enqueue("k", "object-updated");
    await settle();
    expect(attempts[3].retries).toBe(0);
    expect(controller.queue.numRequeues("k")).toBe(1);
    // The failure after the terminal one waits the first backoff step again (5 ms), not the fourth (40 ms).
    expect(controller.queue.readyAt("k")).toBe(clock.now() + 5);
  });
});

describe("one abort signal per reconcile", () => {
  it("reconciles without a timeout each get their own signal; many listeners trip no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const signals: AbortSignal[] = [];
      const releases: (() => void)[] = [];
      const { controller } = makeController(
        (request) => {
          signals.push(request.signal);
          // A forgotten listener, as careless reconcile code leaves behind.
          request.signal.addEventListener("abort", () => undefined);
          return new Promise<undefined>((resolve) => releases.push(() => resolve(undefined)));
        },
        { maxConcurrentReconciles: 15 },
      );
      for (let i = 0; i < 15; i += 1) controller.enqueue(`k${i}`);
      await settle();
      expect(signals).toHaveLength(15);
      expect(new Set(signals).size).toBe(15);
      for (const release of releases.splice(0, 5)) release();
      await settle();
      const stopped = controller.stop(1_000);
      // Running reconciles see their own signal aborted on stop; finished ones keep theirs untouched.
      expect(signals.map((s) => s.aborted)).toEqual([...Array(5).fill(false), ...Array(10).fill(true)]);
      for (const release of releases) release();
      await expect(stopped).resolves.toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
