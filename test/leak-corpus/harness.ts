import type { ReconcileContext } from "../../server/runtime/context";

/**
 * A clock for driving the tracker by hand: real time plus a skew the test advances,
 * so "the grace period has passed" needs no waiting (settlement is stamped with
 * Date.now(), which the skewed clock never falls behind).
 */
export class SkewClock {
  private skew = 0;
  readonly now = (): number => Date.now() + this.skew;
  advance(ms: number): void {
    this.skew += ms;
  }
}

/**
 * A clock an hour ahead of real time that moves only when advanced, for tests that wait
 * for something real between steps (a garbage collection): samples stay exactly
 * `advance` apart however long the wait took, and every settled reconcile is already
 * past its grace period (settlement is stamped with Date.now()).
 */
export class SteppedClock {
  private t = Date.now() + 3_600_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

let reconcileIds = 0;

/** A fresh reconcile context, as the controller would create for one reconcile. */
export function reconcileOf(controller: string, key: string): ReconcileContext {
  reconcileIds += 1;
  return { controller, key, reconcileId: reconcileIds, startedAt: Date.now() };
}

/** Resolves after `ms` using a timer the tracker cannot see as a leak (it fires). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every `everyMs` until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Things a test or scenario must close at the end, whatever happened. */
export class Cleanup {
  private readonly tasks: (() => unknown)[] = [];
  add(task: () => unknown): void {
    this.tasks.push(task);
  }
  /**
   * Runs every task (last added first) and waits for the asynchronous ones together, at most
   * `boundMs`: a resource that never finishes closing (a worker still starting, a body on a
   * connection that hangs) must not hang the harness.
   */
  async run(boundMs = 5_000): Promise<void> {
    const pending: Promise<unknown>[] = [];
    while (this.tasks.length > 0) {
      try {
        pending.push(Promise.resolve(this.tasks.pop()!()).catch(() => undefined));
      } catch {
        // best effort: the resource may already be gone
      }
    }
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending), new Promise((resolve) => (bound = setTimeout(resolve, boundMs)))]);
    clearTimeout(bound);
  }
}
