import { TRPCError } from "@trpc/server";

/** A call refused for a limit rather than for what it asked (tRPC: TOO_MANY_REQUESTS, HTTP 429 with Retry-After). */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

export function tooManyRequests(message: string, retryAfterS: number): TRPCError {
  return new TRPCError({ code: "TOO_MANY_REQUESTS", message, cause: new RateLimitedError(message, retryAfterS) });
}

/** The seconds a TOO_MANY_REQUESTS error asks the client to wait: its cause's `retryAfterS` (whole seconds, at least 1). */
export function retryAfterSeconds(error: TRPCError): number | undefined {
  if (error.code !== "TOO_MANY_REQUESTS") return undefined;
  const seconds = (error.cause as { retryAfterS?: unknown } | undefined)?.retryAfterS;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 1;
}

/**
 * Retry-After for a tRPC answer holding 429s (also a batch's 207): the longest wait any of
 * them asks for. A streamed batch has sent its headers before any error is known; its
 * errors carry `data.retryAfterS` instead.
 */
export function retryAfterHeaders(errors: readonly TRPCError[]): Record<string, string> | undefined {
  let seconds = 0;
  for (const error of errors) seconds = Math.max(seconds, retryAfterSeconds(error) ?? 0);
  return seconds > 0 ? { "Retry-After": String(seconds) } : undefined;
}
