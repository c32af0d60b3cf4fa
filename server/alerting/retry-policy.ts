/**
 * What to do after one delivery attempt, as a pure function: delivered; retry later
 * (5xx, network errors and timeouts with exponential backoff and jitter; 429 after
 * Retry-After); failed for good (any other 4xx, a redirect, a refused destination);
 * or dead once the notification is older than the maximum age.
 */

export interface AttemptOutcome {
  /** HTTP status, when a response came back. */
  status?: number;
  /** Network error, timeout or refusal message (never contains the URL). */
  error?: string;
  /** The request was refused before sending (outbound policy): never retried. */
  refused?: boolean;
  /** Delay the receiver asked for (429 Retry-After / Discord retry_after), in ms. */
  retryAfterMs?: number;
  /** A short excerpt of the response body, for error display. */
  bodyExcerpt?: string;
}

export interface RetryPolicy {
  /** First backoff delay. */
  baseDelayMs: number;
  /** Largest backoff delay. */
  maxDelayMs: number;
  /** Give up (dead letter) when the notification is older than this. */
  maxAgeMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 300_000, maxAgeMs: 3_600_000 };

export type AttemptDecision =
  | { state: "delivered" }
  | { state: "pending"; nextAttemptAt: number; error: string }
  | { state: "failed"; error: string }
  | { state: "dead"; error: string };

/**
 * Exponential backoff with "equal jitter": attempt n waits between half and all of
 * min(max, base·2^(n−1)), so synchronized retries spread out but never collapse to 0.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * Retry-After as seconds or an HTTP date; otherwise Discord's JSON `retry_after`
 * (seconds, may be fractional). Undefined when neither is usable.
 */
export function parseRetryAfter(header: string | undefined, body: string | undefined, now: number): number | undefined {
  if (header !== undefined && header.trim() !== "") {
    const text = header.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1_000);
    const date = Date.parse(text);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  if (body) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === "object" && "retry_after" in parsed) {
        const value = (parsed as { retry_after: unknown }).retry_after;
        if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.round(value * 1_000);
      }
    } catch {
      // not JSON: no hint
    }
  }
  return undefined;
}

function describe(outcome: AttemptOutcome): string {
  if (outcome.status !== undefined) {
    const excerpt = outcome.bodyExcerpt ? `: ${outcome.bodyExcerpt}` : "";
    return `HTTP ${outcome.status}${excerpt}`;
  }
  return outcome.error ?? "unknown error";
}

export function decideAfterAttempt(
  outcome: AttemptOutcome,
  context: { attempt: number; createdAt: number; now: number; policy: RetryPolicy; random?: () => number },
): AttemptDecision {
  const { status } = outcome;
  if (status !== undefined && status >= 200 && status < 300) return { state: "delivered" };
  const error = describe(outcome);
  if (outcome.refused) return { state: "failed", error };
  if (status !== undefined && status >= 300 && status < 400) return { state: "failed", error: `${error} (redirects are not followed; use the final URL)` };
  let delay: number;
  if (status === 429) {
    delay = outcome.retryAfterMs ?? backoffDelay(context.attempt, context.policy, context.random);
  } else if (status !== undefined && status >= 400 && status < 500) {
    return { state: "failed", error };
  } else {
    delay = backoffDelay(context.attempt, context.policy, context.random);
  }
  const nextAttemptAt = context.now + delay;
  if (nextAttemptAt - context.createdAt > context.policy.maxAgeMs) {
    return { state: "dead", error: `${error}; gave up after ${context.attempt} attempt${context.attempt === 1 ? "" : "s"} (older than the maximum age)` };
  }
  return { state: "pending", nextAttemptAt, error };
}
