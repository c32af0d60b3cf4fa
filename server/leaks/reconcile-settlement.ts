import { type MarkedContext, ON_SETTLED, type ReconcileContext, reconcileContext, SETTLED_AT } from "../runtime/context";

/**
 * When each reconcile settled (returned, threw, or rejected). A resource a reconcile
 * created is only held against it once the reconcile has settled and a grace period
 * has passed, so the controller must report settlement: either run reconciles through
 * `runReconcile`, or call `reconcileSettled(ctx)` itself when its reconcile settles.
 *
 * The time is kept on the context object itself (see SETTLED_AT): the context lives
 * exactly as long as something refers to it, and a field costs nanoseconds where a
 * WeakMap entry costs the collector far more.
 *
 * Most units of work settle holding nothing the tracker follows (their deadline timer
 * cleared, their sockets back in the pool). Those are marked SETTLED_UNTIMED instead of
 * reading the clock; a resource attributed to one later (a callback it left behind)
 * stamps the time then, so it is judged from then, never earlier than from the true
 * settlement.
 */

/** Settled, holding nothing tracked at the time: when, was not read (see above). Never overdue by itself. */
export const SETTLED_UNTIMED = Number.POSITIVE_INFINITY;

/**
 * Records that the reconcile `ctx` settled at `at` (ms since epoch; default now, read
 * only if the unit holds something tracked). The first report wins.
 */
export function reconcileSettled(ctx: ReconcileContext, at?: number): void {
  const marked = ctx as MarkedContext;
  if (marked[SETTLED_AT] !== undefined) return;
  const hook = marked[ON_SETTLED];
  let holds = false;
  if (hook !== undefined) {
    marked[ON_SETTLED] = undefined;
    try {
      holds = hook(ctx);
    } catch {
      holds = true;
    }
  }
  marked[SETTLED_AT] = at ?? (holds ? Date.now() : SETTLED_UNTIMED);
}

/**
 * When `ctx` settled, or undefined while it is still running (or was never reported);
 * SETTLED_UNTIMED if it settled holding nothing tracked and nothing was attributed to it since.
 */
export function settledAt(ctx: ReconcileContext): number | undefined {
  return (ctx as MarkedContext)[SETTLED_AT];
}

/** Dates an untimed settlement now: something was just attributed to the settled unit `ctx`. */
export function stampSettlement(ctx: ReconcileContext): void {
  const marked = ctx as MarkedContext;
  if (marked[SETTLED_AT] === SETTLED_UNTIMED) marked[SETTLED_AT] = Date.now();
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
