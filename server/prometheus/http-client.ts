import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { Agent, request } from "undici";
import { ResponseTooLargeError, readBody } from "../outbound/policy";
import type { PrometheusSettings } from "./settings";

const gunzip = promisify(zlib.gunzip);

/** Why a request to the Prometheus-compatible API failed; the message says what to check, never a credential. */
export class PrometheusRequestError extends Error {
  override readonly name = "PrometheusRequestError";
  constructor(
    message: string,
    /** HTTP status when the server answered. */
    readonly status?: number,
    /** Prometheus's errorType (bad_data, execution, timeout, canceled, internal, unavailable…). */
    readonly errorType?: string,
  ) {
    super(message);
  }
}

export interface HttpAnswer {
  status: number;
  /** The decoded body (gzip undone), within the response-size bound. */
  body: Buffer;
}

/** What the API client needs from the transport (tests and benchmarks may pass their own). */
export interface PrometheusTransport {
  /** GET (params in the query string) or POST (form-encoded), bounded by the timeout and size limit. */
  send(method: "GET" | "POST", path: string, params: URLSearchParams, signal?: AbortSignal): Promise<HttpAnswer>;
  close(): Promise<void>;
}

async function readSecret(file: string, what: string): Promise<string> {
  try {
    return (await fs.readFile(file, "utf8")).trim();
  } catch (error) {
    throw new PrometheusRequestError(`cannot read the ${what} file ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/**
 * HTTP to the configured Prometheus-compatible API over undici: one keep-alive agent (with the
 * configured CA), credentials read from their files on every request (so rotated tokens are
 * picked up, as Prometheus's own `credentials_file` does), a deadline per request, and the answer
 * cut off at the size limit (compressed and decompressed).
 */
export class PrometheusHttp implements PrometheusTransport {
  private readonly agent: Agent;

  /** Reads the CA file (if any) once, here: the settings checked at start that it is readable. */
  constructor(private readonly settings: PrometheusSettings) {
    const ca = settings.caFile ? readFileSync(settings.caFile, "utf8") : undefined;
    // The request's own deadline (an AbortSignal) comes first; these only guard a stuck socket.
    this.agent = new Agent({
      headersTimeout: settings.timeoutMs + 1_000,
      bodyTimeout: settings.timeoutMs + 1_000,
      connections: 16,
      ...(ca ? { connect: { ca } } : {}),
    });
  }

  private async headers(method: "GET" | "POST"): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...this.settings.headers, accept: "application/json", "accept-encoding": "gzip", "user-agent": "Loopscope-Prometheus-Source/1.0" };
    if (method === "POST") headers["content-type"] = "application/x-www-form-urlencoded";
    const auth = this.settings.auth;
    if (auth.kind === "bearer") headers.authorization = `Bearer ${await readSecret(auth.tokenFile, "bearer token")}`;
    else if (auth.kind === "basic") {
      const password = await readSecret(auth.passwordFile, "basic-auth password");
      headers.authorization = `Basic ${Buffer.from(`${auth.user}:${password}`).toString("base64")}`;
    }
    return headers;
  }

  async send(method: "GET" | "POST", path: string, params: URLSearchParams, signal?: AbortSignal): Promise<HttpAnswer> {
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
    const url = `${this.settings.baseUrl}${path}${method === "GET" && params.size > 0 ? `?${params}` : ""}`;
    const limit = this.settings.maxResponseBytes;
    try {
      const response = await request(url, {
        method,
        headers: await this.headers(method),
        body: method === "POST" ? params.toString() : undefined,
        dispatcher: this.agent,
        signal: combined,
      });
      const raw = await readBody(response.body, limit, "fail", response.headers["content-length"]);
      const encoding = String(response.headers["content-encoding"] ?? "").toLowerCase();
      const body = encoding === "gzip" ? await gunzip(raw.body, { maxOutputLength: limit }) : raw.body;
      return { status: response.statusCode, body };
    } catch (error) {
      if (error instanceof PrometheusRequestError) throw error;
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new PrometheusRequestError("the request to Prometheus was cancelled");
      const code = (error as NodeJS.ErrnoException).code;
      if (timeout.aborted || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") throw new PrometheusRequestError(`Prometheus at ${this.settings.baseUrl} did not answer ${path} within ${this.settings.timeoutMs} ms (LOOPSCOPE_PROMETHEUS_TIMEOUT)`);
      if (error instanceof ResponseTooLargeError || code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
        throw new PrometheusRequestError(
          `the answer of Prometheus to ${path} is larger than ${limit} bytes (LOOPSCOPE_PROMETHEUS_MAX_RESPONSE_BYTES): narrow the query (fewer series, a shorter range or a larger step)`,
        );
      }
      const reason = error instanceof Error ? (code ?? error.message) : String(error);
      throw new PrometheusRequestError(`cannot reach Prometheus at ${this.settings.baseUrl} (${reason})`);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** "HTTP 503 Service Unavailable" for errors without a Prometheus error body. */
export function statusText(status: number): string {
  return `HTTP ${status} ${STATUS_CODES[status] ?? ""}`.trim();
}
