import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Helpers of the proof tests (issue 8) that drive a real Loopscope process over HTTP:
 * tRPC calls, /metrics readings, a webhook receiver that can be told to fail, and a
 * Prometheus exporter whose every served sample is remembered.
 */

export interface TrpcError {
  message: string;
  code: number;
  data?: { code?: string; httpStatus?: number; path?: string; issues?: string[] };
}

export interface TrpcAnswer<T = unknown> {
  status: number;
  data?: T;
  error?: TrpcError;
  /** The raw body when it was not tRPC's JSON. */
  text?: string;
}

/** One tRPC call over HTTP as the dashboard's client makes it (GET for queries, POST for mutations). */
export async function trpcCall<T = unknown>(base: string, type: "query" | "mutation", path: string, input?: unknown): Promise<TrpcAnswer<T>> {
  const url = `${base}/api/trpc/${path}`;
  const response =
    type === "query"
      ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`)
      : await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: input === undefined ? undefined : JSON.stringify(input) });
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { result?: { data?: T }; error?: TrpcError };
    return { status: response.status, data: body.result?.data, error: body.error };
  } catch {
    return { status: response.status, text };
  }
}

/** A query or mutation that must succeed; returns its data. */
export async function trpc<T = unknown>(base: string, type: "query" | "mutation", path: string, input?: unknown): Promise<T> {
  const answer = await trpcCall<T>(base, type, path, input);
  if (answer.status !== 200) throw new Error(`${path} answered HTTP ${answer.status}: ${answer.error?.message ?? answer.text}`);
  return answer.data as T;
}

/** The values of unlabelled samples on /metrics, read from one exposition (NaN when absent). */
export async function metricValues<N extends string>(base: string, names: readonly N[]): Promise<Record<N, number>> {
  const lines = (await (await fetch(`${base}/metrics`)).text()).split("\n");
  const out = {} as Record<N, number>;
  for (const name of names) {
    const line = lines.find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{}`));
    out[name] = line ? Number(line.trim().split(/\s+/)[1]) : Number.NaN;
  }
  return out;
}

/** The value of an unlabelled sample on /metrics (NaN when absent). */
export async function metricValue(base: string, name: string): Promise<number> {
  return (await metricValues(base, [name]))[name];
}

/** Polls `check` until it returns a value that is not undefined/false (a liveness bound, not a timing assertion). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface ReceivedPost {
  at: number;
  /** What the receiver answered. */
  status: number;
  json: unknown;
}

/** A loopback webhook receiver; `mode` decides the answer: "ok" (200) or "fail" (503). */
export interface Receiver {
  url: string;
  mode: "ok" | "fail";
  posts: ReceivedPost[];
  close(): Promise<void>;
}

export async function startReceiver(mode: Receiver["mode"] = "ok"): Promise<Receiver> {
  const posts: ReceivedPost[] = [];
  const receiver: Receiver = { url: "", mode, posts, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = receiver.mode === "ok" ? 200 : 503;
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        json = undefined;
      }
      posts.push({ at: Date.now(), status, json });
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "unavailable");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/**
 * A Prometheus exporter serving one counter, `proof_scrapes_total`, that counts its own
 * scrapes, with an explicit timestamp: each scrape is one known sample (value n at ts).
 */
export interface CountingExporter {
  url: string;
  metric: string;
  /** Every sample served: the value (1, 2, …) and its timestamp (epoch ms). */
  served: { value: number; ts: number }[];
  close(): Promise<void>;
}

export async function startCountingExporter(): Promise<CountingExporter> {
  const served: { value: number; ts: number }[] = [];
  const metric = "proof_scrapes_total";
  const server = http.createServer((_req, res) => {
    const sample = { value: served.length + 1, ts: Date.now() };
    served.push(sample);
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(`# HELP ${metric} Scrapes answered by the proof exporter.\n# TYPE ${metric} counter\n${metric} ${sample.value} ${sample.ts}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    metric,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Queries a pg client or pool can answer. */
interface Queryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Failed scrapes of the scrape targets stored up to `until` (epoch ms): the `up` samples
 * that are 0. An exporter sample served to a scrape that then timed out never reached
 * the recorder; at most this many served samples may be missing for that reason.
 */
export async function failedScrapes(client: Queryable, until = Number.MAX_SAFE_INTEGER): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    "SELECT count(*) AS n FROM samples s JOIN series r ON r.id = s.series_id WHERE r.metric = 'up' AND r.source LIKE 'target:%' AND s.value = 0 AND s.ts <= $1",
    [new Date(Math.min(until, 8.64e15))],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Waits until the background services answer (readiness only says the database is up;
 * the services start right after, and tRPC answers 412 until they have).
 */
export async function waitForServices(base: string, timeoutMs = 60_000): Promise<void> {
  await eventually("Loopscope's services to start", async () => (await fetch(`${base}/api/trpc/alerts.channels.list`)).status === 200, timeoutMs, 200);
}
