import { STATUS_CODES } from "node:http";
import { type Agent, request } from "undici";
import {
  checkOutboundHost,
  type OutboundPolicy,
  REDIRECT_STATUSES,
  ResponseTooLargeError,
  readBody,
  redirectDecision,
} from "../outbound/policy";
import type { ScrapeAuth } from "../scrape/target-schema";

/** Limits of one pprof request: a 10,000-goroutine dump is ~15 MB of text. */
export const PPROF_LIMITS = Object.freeze({ timeoutMs: 10_000, maxResponseBytes: 64 * 1024 * 1024, maxRedirects: 3 });

export type PprofFetchResult = { ok: true; text: string; bytes: number } | { ok: false; status?: number; error: string };

/**
 * GETs one profile (e.g. `goroutine?debug=2`) under a pprof base URL through the outbound
 * policy: the host is checked before connecting and every resolved address by the agent,
 * redirects only to the same host without downgrade, a timeout, and a body cap. Never throws.
 */
export async function fetchPprofText(
  agent: Agent,
  policy: OutboundPolicy,
  baseUrl: string,
  profile: string,
  options: { auth?: ScrapeAuth; timeoutMs?: number; maxBytes?: number; signal?: AbortSignal } = {},
): Promise<PprofFetchResult> {
  let url: URL;
  try {
    url = new URL(profile, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  } catch {
    return { ok: false, error: `${JSON.stringify(baseUrl)} is not a URL` };
  }
  const origin = url;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? PPROF_LIMITS.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers: Record<string, string> = { "user-agent": "Loopscope-Goroutines/1.0", accept: "text/plain" };
  const auth = options.auth;
  if (auth?.kind === "bearer") headers.authorization = `Bearer ${auth.token}`;
  else if (auth?.kind === "basic") headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  try {
    for (let redirects = 0; ; redirects++) {
      const verdict = checkOutboundHost(url.hostname, policy);
      if (!verdict.allowed) return { ok: false, error: verdict.reason };
      const response = await request(url, { method: "GET", headers, dispatcher: agent, signal });
      if (REDIRECT_STATUSES.has(response.statusCode)) {
        await response.body.dump();
        const location = response.headers.location;
        const decision = redirectDecision(origin, url, Array.isArray(location) ? location[0] : location, redirects, PPROF_LIMITS.maxRedirects);
        if (!decision.follow) return { ok: false, error: decision.reason };
        url = decision.url;
        continue;
      }
      if (response.statusCode < 200 || response.statusCode > 299) {
        await response.body.dump();
        return { ok: false, status: response.statusCode, error: `HTTP ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ""} from ${url.pathname}`.trim() };
      }
      const { body } = await readBody(response.body, options.maxBytes ?? PPROF_LIMITS.maxResponseBytes, "fail", response.headers["content-length"]);
      return { ok: true, text: body.toString("utf8"), bytes: body.length };
    }
  } catch (error) {
    if (error instanceof ResponseTooLargeError) return { ok: false, error: `profile larger than ${error.limitBytes} bytes` };
    if (timeout.aborted) return { ok: false, error: `timed out after ${options.timeoutMs ?? PPROF_LIMITS.timeoutMs} ms` };
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
