import { type ReconcileContext, reconcileContext, SETTLED_AT } from "../runtime/context";

/**
 * When each reconcile settled (returned, threw, or rejected). A resource a reconcile
 * created is only held against it once the reconcile has settled and a grace period
 * has passed, so the controller must report settlement: either run reconciles through
 * `runReconcile`, or call `reconcileSettled(ctx)` itself when its reconcile settles.
 *
 * The time is kept on the context object itself (see SETTLED_AT): the context lives
 * exactly as long as something refers to it, and a field costs nanoseconds where a
 * WeakMap entry costs the collector far more.
 */

type Marked = ReconcileContext & { [SETTLED_AT]?: number };

/** Records that the reconcile `ctx` settled at `at` (ms since epoch). The first report wins. */
export function reconcileSettled(ctx: ReconcileContext, at: number = Date.now()): void {
  const marked = ctx as Marked;
  if (marked[SETTLED_AT] === undefined) marked[SETTLED_AT] = at;
}

/** When `ctx` settled, or undefined while it is still running (or was never reported). */
export function settledAt(ctx: ReconcileContext): number | undefined {
  return (ctx as Marked)[SETTLED_AT];
}

/**
 * Runs `fn` as the reconcile `ctx` and records its settlement. The returned promise
 * settles exactly like `fn`'s.
 *
 * `fn` starts on the next microtask (like `await null; fn()`), which enters the
 * context there. `reconcileContext.run` would start it synchronously, but it restores
 * the caller's context by entering a new one that holds `undefined`: from then on the
 * caller runs inside a context frame of its own, and every later frame copies it. On a
 * reconcile of ~50 µs that costs a few per cent; entered inside a microtask, the
 * context is only ever seen by what that microtask runs and schedules.
 */
export async function runReconcile<T>(ctx: ReconcileContext, fn: () => Promise<T> | T): Promise<T> {
  // One microtask, then the context is entered inside it; the caller's frame is never touched.
  // (As an async function rather than `Promise.resolve().then(...)`: no closure, and no
  // second promise for the returned one to adopt, which would cost two more microtasks.)
  await undefined;
  reconcileContext.enterWith(ctx);
  try {
    return await fn();
  } finally {
    reconcileSettled(ctx);
  }
}
