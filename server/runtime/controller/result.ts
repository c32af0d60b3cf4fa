/**
 * What a reconcile asks for next (controller-runtime's Result + error):
 * - `done`: success; the key's failure history is forgotten.
 * - `requeue`: reconcile again after the rate limiter's delay (result `requeue`).
 * - `requeueAfter(ms)`: success, forget the failure history, reconcile again in `ms`
 *   (result `requeue_after`); `requeueAfter(0)` is a plain success with no requeue, as
 *   controller-runtime's `Result{RequeueAfter: 0}` is.
 * - `error(e)`: a failure; retried with rate-limited backoff (result `error`).
 * - `terminal(e)`: a failure that retrying cannot fix; not requeued, and the key's
 *   failure history is forgotten (counted in both the errors and the terminal-errors
 *   counters, result `error`).
 */
export type ReconcileResult =
  | { readonly kind: "done" }
  | { readonly kind: "requeue" }
  | { readonly kind: "requeueAfter"; readonly afterMs: number }
  | { readonly kind: "error"; readonly error: Error }
  | { readonly kind: "terminal"; readonly error: Error };

const DONE: ReconcileResult = Object.freeze({ kind: "done" });
const REQUEUE: ReconcileResult = Object.freeze({ kind: "requeue" });

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(typeof error === "string" ? error : JSON.stringify(error) ?? String(error));
}

/** Success. */
export function done(): ReconcileResult {
  return DONE;
}

/** Reconcile again after the rate limiter's backoff. */
export function requeue(): ReconcileResult {
  return REQUEUE;
}

/** Success; reconcile again in `ms` milliseconds (0 = success without a requeue). */
export function requeueAfter(ms: number): ReconcileResult {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`requeueAfter needs a finite delay of 0 ms or more, got ${ms}`);
  return { kind: "requeueAfter", afterMs: ms };
}

/** A failure to retry with backoff. */
export function error(cause: unknown): ReconcileResult {
  return { kind: "error", error: asError(cause) };
}

/** A failure not to retry (controller-runtime's reconcile.TerminalError). */
export function terminal(cause: unknown): ReconcileResult {
  return { kind: "terminal", error: asError(cause) };
}

/**
 * Throw this from a reconcile to end it with a terminal error: counted as an error and
 * a terminal error, not as a panic, and not retried.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TerminalError";
  }
}

/** Builders for reconcile results: `return reconcileResult.requeueAfter(30_000)`. */
export const reconcileResult = { done, requeue, requeueAfter, error, terminal } as const;
