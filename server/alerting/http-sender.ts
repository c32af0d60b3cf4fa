import { type Agent, errors as undiciErrors, request } from "undici";
import { type OutboundPolicy as AddressPolicy, outboundAgent, readBody, resolvePolicy, WEBHOOK_LIMITS } from "../outbound/policy";
import { blockedUrlReason, type OutboundPolicy } from "./outbound-guard";
import type { RenderedRequest } from "./payloads";
import { type AttemptOutcome, parseRetryAfter } from "./retry-policy";

export interface HttpSenderOptions extends OutboundPolicy {
  /** Whole-request timeout (connect, headers and body). */
  timeoutMs: number;
  clock?: () => number;
}

const EXCERPT_CHARS = 300;

/** Removes the secret URL (and its path) from a message before it is stored or logged. */
export function scrubUrl(message: string, url: string): string {
  let out = message;
  try {
    const parsed = new URL(url);
    for (const secret of [url, parsed.pathname + parsed.search, parsed.search]) {
      if (secret.length > 1) out = out.split(secret).join("/…");
    }
  } catch {
    out = out.split(url).join("…");
  }
  return out;
}

/**
 * POSTs rendered notifications with undici under the one outbound policy
 * (server/outbound/policy.ts): a timeout on the whole request, no redirects followed,
 * link-local/metadata destinations refused (on the URL and after DNS), at most
 * WEBHOOK_LIMITS.maxResponseBytes of the answer read. The outcome is reduced to what
 * the retry policy needs. Never throws; never reports the URL in an error.
 */
export class HttpSender {
  private readonly agent: Agent;
  private readonly clock: () => number;
  private readonly policy: AddressPolicy;

  constructor(private readonly options: HttpSenderOptions) {
    this.clock = options.clock ?? Date.now;
    this.policy = resolvePolicy(options);
    this.agent = outboundAgent(this.policy, { connectTimeoutMs: options.timeoutMs, idleTimeoutMs: options.timeoutMs, keepAliveTimeoutMs: 4_000 });
  }

  async post(req: RenderedRequest): Promise<AttemptOutcome> {
    const refusal = blockedUrlReason(req.url, this.policy);
    if (refusal) return { refused: true, error: refusal };
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await request(req.url, {
        method: "POST",
        body: req.body,
        headers: req.headers,
        dispatcher: this.agent,
        signal,
      });
      const text = (await readBody(response.body, WEBHOOK_LIMITS.maxResponseBytes, "truncate")).body.toString("utf8");
      const status = response.statusCode;
      const header = response.headers["retry-after"];
      const outcome: AttemptOutcome = { status };
      if (status < 200 || status >= 300) {
        const excerpt = text.replace(/\s+/g, " ").trim().slice(0, EXCERPT_CHARS);
        if (excerpt) outcome.bodyExcerpt = scrubUrl(excerpt, req.url);
      }
      if (status === 429) outcome.retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, text, this.clock());
      return outcome;
    } catch (error) {
      return { error: scrubUrl(describeError(error, this.options.timeoutMs), req.url), refused: isRefusal(error) };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function isRefusal(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (current instanceof Error && current.name === "OutboundRefusedError") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || error instanceof undiciErrors.ConnectTimeoutError) {
      return `timed out after ${timeoutMs} ms`;
    }
    const cause = (error as { cause?: unknown }).cause;
    const code = (error as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code;
    if (isRefusal(error)) {
      let c: unknown = error;
      while (c && !(c instanceof Error && c.name === "OutboundRefusedError")) c = (c as { cause?: unknown }).cause;
      return (c as Error).message;
    }
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
