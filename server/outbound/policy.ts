import { Agent, type Dispatcher } from "undici";
import type { LoopscopeConfig } from "../config";
import { checkOutboundHost, DEFAULT_OUTBOUND_POLICY, guardedLookup, type OutboundPolicy, type Resolver } from "./address-policy";

/**
 * The one policy for every request Loopscope makes on a user's behalf (scrapes of
 * targets, alert webhooks): which addresses may be reached (address-policy.ts, checked
 * on the URL and again on every address DNS returns, at connect time), bounded time
 * and response size, and which redirects may be followed (none to another host, no
 * https→http downgrade). Scraper and HttpSender build their agents, URL checks,
 * redirect decisions and body reads from here.
 */

export {
  type AddressClass,
  checkOutboundAddress,
  checkOutboundHost,
  classifyAddress,
  DEFAULT_OUTBOUND_POLICY,
  guardedLookup,
  type OutboundPolicy,
  OutboundRefusedError,
  type OutboundVerdict,
  PUBLIC_ONLY_OUTBOUND_POLICY,
  type Resolver,
  resolveAndCheck,
} from "./address-policy";

/**
 * A policy as callers may give it: omitted fields take the defaults (private and
 * loopback allowed, link-local refused). For compatibility with the webhook policy's
 * single switch, `allowMetadata` defaults to `allowLinkLocal`.
 */
export type OutboundPolicyInput = Partial<OutboundPolicy>;

export function resolvePolicy(input: OutboundPolicyInput = {}): OutboundPolicy {
  const allowLinkLocal = input.allowLinkLocal ?? DEFAULT_OUTBOUND_POLICY.allowLinkLocal;
  return {
    allowLinkLocal,
    allowMetadata: input.allowMetadata ?? allowLinkLocal,
    allowPrivate: input.allowPrivate ?? DEFAULT_OUTBOUND_POLICY.allowPrivate,
    allowLoopback: input.allowLoopback ?? DEFAULT_OUTBOUND_POLICY.allowLoopback,
  };
}

/**
 * From the settings: LOOPSCOPE_ALLOW_METADATA_TARGETS allows cloud metadata endpoints
 * (and link-local addresses, where they live); LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS allows
 * link-local ones (169.254.0.0/16, fe80::/10) but still refuses the metadata endpoints.
 * LOOPSCOPE_ALLOW_PRIVATE_TARGETS is the deprecated name of
 * LOOPSCOPE_ALLOW_METADATA_TARGETS (private-network addresses are always allowed).
 */
export function outboundPolicyFromConfig(
  config: Partial<Pick<LoopscopeConfig, "LOOPSCOPE_ALLOW_METADATA_TARGETS" | "LOOPSCOPE_ALLOW_PRIVATE_TARGETS" | "LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS">>,
): OutboundPolicy {
  const metadata = config.LOOPSCOPE_ALLOW_METADATA_TARGETS === true || config.LOOPSCOPE_ALLOW_PRIVATE_TARGETS === true;
  return resolvePolicy({ allowLinkLocal: metadata || config.LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS === true, allowMetadata: metadata });
}

/** Limits of one kind of outbound request. */
export interface OutboundLimits {
  /** Whole request: connect, headers and body. */
  readonly timeoutMs: number;
  /** Response body bytes read at most (after decompression, where the caller decompresses). */
  readonly maxResponseBytes: number;
  /** Redirects followed at most, always within the original host (0: none). */
  readonly maxRedirects: number;
}

/** Scrapes: a target's timeout replaces timeoutMs; an exposition may be large. */
export const SCRAPE_LIMITS: OutboundLimits = Object.freeze({ timeoutMs: 10_000, maxResponseBytes: 10 * 1024 * 1024, maxRedirects: 3 });

/** Webhooks: only an excerpt of the answer is kept (for the delivery log); redirects are never followed. */
export const WEBHOOK_LIMITS: OutboundLimits = Object.freeze({ timeoutMs: 10_000, maxResponseBytes: 16 * 1024, maxRedirects: 0 });

/**
 * Why a URL may not be requested before any connection is made (scheme, credentials
 * in the URL when not allowed, IP literals and known metadata or loopback names);
 * undefined when it may. Never echoes the URL (it may hold a secret).
 */
export function urlRefusal(url: string | URL, policy: OutboundPolicy, options: { allowCredentials?: boolean } = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    return "the URL is not valid";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `only http and https URLs are allowed, not ${parsed.protocol}`;
  if (!options.allowCredentials && (parsed.username !== "" || parsed.password !== "")) return "the URL contains credentials";
  const verdict = checkOutboundHost(parsed.hostname, policy);
  return verdict.allowed ? undefined : verdict.reason;
}

export type RedirectDecision = { readonly follow: true; readonly url: URL } | { readonly follow: false; readonly reason: string };

/**
 * Whether a redirect may be followed: a Location is required, at most `maxRedirects`
 * hops, only http(s), only to the original host, never from https to http. The new
 * URL still has to pass {@link urlRefusal} and the connect-time address check.
 */
export function redirectDecision(origin: URL, current: URL, location: string | undefined, redirects: number, maxRedirects: number): RedirectDecision {
  if (location === undefined) return { follow: false, reason: "target answered with a redirect but no Location header" };
  if (redirects >= maxRedirects) return { follow: false, reason: `too many redirects (more than ${maxRedirects})` };
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    return { follow: false, reason: `target redirected to an invalid URL ${JSON.stringify(location.slice(0, 200))}` };
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") return { follow: false, reason: `target redirected to a ${next.protocol.slice(0, -1)} URL; only http and https are followed` };
  if (next.hostname !== origin.hostname) {
    return { follow: false, reason: `target redirected to another host (${next.host}); only redirects within ${origin.hostname} are followed` };
  }
  if (current.protocol === "https:" && next.protocol === "http:") return { follow: false, reason: "target redirected from https to http; refusing to downgrade" };
  return { follow: true, url: next };
}

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export interface OutboundAgentOptions {
  /** Connect timeout (default: undici's 10 s). */
  connectTimeoutMs?: number;
  /** Idle time between header or body bytes before the request fails. */
  idleTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** Name resolution (default: the system resolver); every address is checked against the policy. */
  resolve?: Resolver;
}

/** An undici Agent whose connections go only where the policy allows, decided on every resolved address. */
export function outboundAgent(policy: OutboundPolicy, options: OutboundAgentOptions = {}): Agent {
  return new Agent({
    connect: { lookup: guardedLookup(policy, options.resolve), ...(options.connectTimeoutMs !== undefined ? { timeout: options.connectTimeoutMs } : {}) },
    ...(options.idleTimeoutMs !== undefined ? { headersTimeout: options.idleTimeoutMs, bodyTimeout: options.idleTimeoutMs } : {}),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  });
}

/** Thrown by {@link readBody} in "fail" mode when the body is larger than allowed. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`response larger than ${limitBytes} bytes`);
    this.name = "ResponseTooLargeError";
  }
}

/**
 * Reads at most `maxBytes` of a response body. "fail": a larger body (declared or
 * streamed) is an error; "truncate": the first `maxBytes` are kept and the rest is not
 * read (the connection is closed). Either way, no more than `maxBytes` (plus one chunk)
 * is ever held in memory.
 */
export async function readBody(
  body: Dispatcher.ResponseData["body"],
  maxBytes: number,
  mode: "fail" | "truncate",
  declaredLength?: string | string[],
): Promise<{ body: Buffer; truncated: boolean }> {
  const declared = Number(Array.isArray(declaredLength) ? declaredLength[0] : declaredLength);
  if (mode === "fail" && Number.isFinite(declared) && declared > maxBytes) {
    body.destroy();
    throw new ResponseTooLargeError(maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (size + buffer.length > maxBytes) {
      body.destroy();
      if (mode === "fail") throw new ResponseTooLargeError(maxBytes);
      chunks.push(buffer.subarray(0, maxBytes - size));
      return { body: Buffer.concat(chunks, maxBytes), truncated: true };
    }
    size += buffer.length;
    chunks.push(buffer);
  }
  return { body: Buffer.concat(chunks, size), truncated: false };
}
