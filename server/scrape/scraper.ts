import { STATUS_CODES } from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { type Agent, type Dispatcher, request } from "undici";
import {
  checkOutboundHost,
  DEFAULT_OUTBOUND_POLICY,
  type OutboundPolicy,
  OutboundRefusedError,
  outboundAgent,
  REDIRECT_STATUSES,
  type Resolver,
  ResponseTooLargeError,
  readBody,
  redirectDecision,
  SCRAPE_LIMITS,
} from "../outbound/policy";
import { ParseError, detectFormat, parseExposition } from "./exposition-parser";
import type { ExpositionFormat, MetricFamily } from "./metric-family";
import type { ScrapeAuth } from "./target-schema";

/**
 * Fetches and parses one target's `/metrics`, all or nothing: the result is either
 * every family of a complete, valid exposition or a failure with one clear sentence
 * and no samples. Bounded in time (the target's timeout covers connect, headers and
 * body), size (bytes after decompression) and samples. Connections go only where the
 * outbound policy (server/outbound/policy.ts) allows, checked on the URL and again on
 * every resolved address; redirects are followed only within the same host.
 */

export const DEFAULT_MAX_BODY_BYTES = SCRAPE_LIMITS.maxResponseBytes;
export const DEFAULT_MAX_SAMPLES = 200_000;
export const DEFAULT_MAX_REDIRECTS = SCRAPE_LIMITS.maxRedirects;

/** What Prometheus sends: OpenMetrics preferred, then the 0.0.4 text format. */
export const SCRAPE_ACCEPT_HEADER =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

export interface ScrapeRequest {
  readonly url: string;
  readonly timeoutMs: number;
  readonly auth?: ScrapeAuth;
}

export type ScrapeErrorKind =
  | "refused"
  | "timeout"
  | "cancelled"
  | "network"
  | "http"
  | "redirect"
  | "too-large"
  | "content-type"
  | "encoding"
  | "parse"
  | "sample-limit";

export interface ScrapeSuccess {
  readonly ok: true;
  readonly families: MetricFamily[];
  /** Number of samples in `families`. */
  readonly samples: number;
  /** Samples dropped as repeats of a series already in the exposition (counted, as Prometheus does). */
  readonly duplicates: number;
  readonly durationMs: number;
  /** Epoch ms when the scrape started; samples without their own timestamp are stamped with it (as Prometheus does). */
  readonly scrapedAt: number;
  readonly format: ExpositionFormat;
  /** Body size after decompression. */
  readonly bodyBytes: number;
}

export interface ScrapeFailure {
  readonly ok: false;
  /** One sentence for the health row, e.g. "HTTP 500 from target (Internal Server Error)". Never contains credentials. */
  readonly error: string;
  readonly errorKind: ScrapeErrorKind;
  readonly durationMs: number;
  readonly scrapedAt: number;
  /** The HTTP status, when the target answered with an error status. */
  readonly status?: number;
}

export type ScrapeResult = ScrapeSuccess | ScrapeFailure;

export interface ScraperOptions {
  readonly policy?: OutboundPolicy;
  readonly maxBodyBytes?: number;
  readonly maxSamples?: number;
  readonly maxRedirects?: number;
  /** Keep OpenMetrics `_created` samples (default false: Prometheus 3 does not store them as series either). */
  readonly keepCreatedSamples?: boolean;
  readonly userAgent?: string;
  /** Name resolution for target hosts (default: the system resolver). Every address is checked against the policy. */
  readonly resolve?: Resolver;
}

class ScrapeProblem extends Error {
  constructor(
    readonly kind: ScrapeErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const gunzip = promisify(zlib.gunzip);
const NOT_EXPOSITIONS = /^(text\/html|application\/xhtml\+xml|application\/json|application\/vnd\.google\.protobuf|image\/)/;

export class Scraper {
  private readonly agent: Agent;
  private readonly policy: OutboundPolicy;
  private readonly maxBodyBytes: number;
  private readonly maxSamples: number;
  private readonly maxRedirects: number;
  private readonly keepCreated: boolean;
  private readonly userAgent: string;

  constructor(options: ScraperOptions = {}) {
    this.policy = options.policy ?? DEFAULT_OUTBOUND_POLICY;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
    this.maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    this.keepCreated = options.keepCreatedSamples ?? false;
    this.userAgent = options.userAgent ?? "Loopscope-Scraper/1.0";
    this.agent = outboundAgent(this.policy, { resolve: options.resolve, keepAliveTimeoutMs: 60_000 });
  }

  /** Scrapes once. Never throws: every failure is a {@link ScrapeFailure}. `signal` cancels (e.g. on shutdown). */
  async scrape(target: ScrapeRequest, signal?: AbortSignal): Promise<ScrapeResult> {
    const scrapedAt = Date.now();
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, target.timeoutMs);
    const cancel = () => controller.abort();
    signal?.addEventListener("abort", cancel, { once: true });
    let fetched = false;
    try {
      if (signal?.aborted) throw new ScrapeProblem("cancelled", "scrape cancelled");
      const { body, contentType } = await this.fetch(target, controller.signal);
      fetched = true;
      clearTimeout(timer);
      const text = decodeUtf8(body);
      const format = detectFormat(contentType, text);
      const parsed = parseExposition(text, { format, maxSamples: this.maxSamples, keepCreatedSamples: this.keepCreated });
      return { ok: true, families: parsed.families, samples: parsed.sampleCount, duplicates: parsed.duplicates, durationMs: elapsed(), scrapedAt, format, bodyBytes: body.length };
    } catch (error) {
      // Once the body is in, the timeout and cancellation no longer apply: a later error is about the content.
      const problem =
        timedOut && !fetched
          ? new ScrapeProblem("timeout", `timed out after ${target.timeoutMs} ms`)
          : signal?.aborted && !fetched
            ? new ScrapeProblem("cancelled", "scrape cancelled")
            : toProblem(error);
      const failure: { -readonly [K in keyof ScrapeFailure]: ScrapeFailure[K] } = { ok: false, error: problem.message, errorKind: problem.kind, durationMs: elapsed(), scrapedAt };
      if (problem.status !== undefined) failure.status = problem.status;
      return failure;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancel);
    }
  }

  /** Closes idle keep-alive connections; in-flight scrapes finish first. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private async fetch(target: ScrapeRequest, signal: AbortSignal): Promise<{ body: Buffer; contentType: string | undefined }> {
    let url = parseUrl(target.url);
    const origin = url;
    for (let redirects = 0; ; redirects++) {
      const verdict = checkOutboundHost(url.hostname, this.policy);
      if (!verdict.allowed) throw new ScrapeProblem("refused", verdict.reason);
      const response = await request(url, { method: "GET", headers: this.headers(target), dispatcher: this.agent, signal });
      const status = response.statusCode;
      if (REDIRECT_STATUSES.has(status)) {
        await response.body.dump();
        url = this.redirectTarget(origin, url, header(response, "location"), redirects);
        continue;
      }
      if (status < 200 || status > 299) {
        await response.body.dump();
        const reason = STATUS_CODES[status];
        const hint = status === 401 || status === 403 ? "; check the target's credentials" : "";
        throw new ScrapeProblem("http", `HTTP ${status} from target${reason ? ` (${reason})` : ""}${hint}`, status);
      }
      const contentType = header(response, "content-type");
      const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
      if (NOT_EXPOSITIONS.test(mediaType)) {
        await response.body.dump();
        throw new ScrapeProblem("content-type", `target returned ${mediaType}, not a Prometheus exposition (is the URL the /metrics endpoint?)`);
      }
      const raw = await this.readBody(response.body, header(response, "content-length"));
      return { body: await this.decompress(raw, header(response, "content-encoding")), contentType };
    }
  }

  private headers(target: ScrapeRequest): Record<string, string> {
    const headers: Record<string, string> = {
      accept: SCRAPE_ACCEPT_HEADER,
      "accept-encoding": "gzip",
      "user-agent": this.userAgent,
      "x-prometheus-scrape-timeout-seconds": String(target.timeoutMs / 1000),
    };
    const auth = target.auth;
    if (auth?.kind === "bearer") headers.authorization = `Bearer ${auth.token}`;
    else if (auth?.kind === "basic") headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
    return headers;
  }

  /** Where a redirect leads, if the outbound policy lets it be followed (same host, no downgrade, bounded count). */
  private redirectTarget(origin: URL, current: URL, location: string | undefined, redirects: number): URL {
    const decision = redirectDecision(origin, current, location, redirects, this.maxRedirects);
    if (!decision.follow) throw new ScrapeProblem("redirect", decision.reason);
    return decision.url;
  }

  private async readBody(body: Dispatcher.ResponseData["body"], declaredLength: string | undefined): Promise<Buffer> {
    try {
      return (await readBody(body, this.maxBodyBytes, "fail", declaredLength)).body;
    } catch (error) {
      if (error instanceof ResponseTooLargeError) throw this.tooLarge();
      throw error;
    }
  }

  private async decompress(raw: Buffer, encoding: string | undefined): Promise<Buffer> {
    const coding = (encoding ?? "identity").trim().toLowerCase();
    if (coding === "identity" || coding === "") return raw;
    if (coding !== "gzip" && coding !== "x-gzip") throw new ScrapeProblem("encoding", `target used an unsupported Content-Encoding ${JSON.stringify(coding)} (only gzip was offered)`);
    try {
      return await gunzip(raw, { maxOutputLength: this.maxBodyBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw this.tooLarge();
      throw new ScrapeProblem("encoding", `response is not valid gzip: ${(error as Error).message}`);
    }
  }

  private tooLarge(): ScrapeProblem {
    return new ScrapeProblem("too-large", `response larger than ${formatBytes(this.maxBodyBytes)}`);
  }
}

function parseUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // reported below; the text is not echoed, it may hold a secret
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) throw new ScrapeProblem("refused", "the target URL is not an http or https URL");
  if (url.username !== "" || url.password !== "") throw new ScrapeProblem("refused", "the target URL contains credentials; give them as basic or bearer auth instead");
  return url;
}

function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new ScrapeProblem("encoding", "response is not valid UTF-8 text (is the URL a Prometheus /metrics endpoint?)");
  }
}

export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [1024 * 1024 * 1024, "GiB"],
    [1024 * 1024, "MiB"],
    [1024, "KiB"],
  ];
  for (const [size, unit] of units) if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  return `${bytes} bytes`;
}

/** Turns anything thrown while scraping into one sentence without credentials. */
function toProblem(error: unknown): ScrapeProblem {
  if (error instanceof ScrapeProblem) return error;
  if (error instanceof ParseError) return new ScrapeProblem(error.kind === "sample-limit" ? "sample-limit" : "parse", error.message);
  const refused = findCause(error, (e) => e instanceof OutboundRefusedError);
  if (refused) return new ScrapeProblem("refused", refused.message);
  const coded = findCause(error, (e) => typeof (e as NodeJS.ErrnoException).code === "string");
  const code = (coded as NodeJS.ErrnoException | undefined)?.code ?? "";
  const detail = (coded ?? (error as Error | undefined))?.message ?? String(error);
  switch (code) {
    case "ECONNREFUSED":
      return new ScrapeProblem("network", `connection refused (${detail.replace(/^connect ECONNREFUSED /, "")})`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ScrapeProblem("network", `cannot resolve the target's host name (${code})`);
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
    case "EPIPE":
      return new ScrapeProblem("network", "connection closed by the target before the response was complete");
    case "UND_ERR_CONNECT_TIMEOUT":
      return new ScrapeProblem("timeout", "could not connect to the target (connect timeout)");
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new ScrapeProblem("network", `the target's network is unreachable (${code})`);
    default:
      if (/CERT|TLS|SSL|SELF_SIGNED/.test(code)) return new ScrapeProblem("network", `TLS error: ${detail}`);
      return new ScrapeProblem("network", `request failed: ${detail}`);
  }
}

function findCause(error: unknown, match: (e: Error) => boolean): Error | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (match(current)) return current;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}
