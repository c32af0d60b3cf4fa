import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintApiToken } from "../../../server/auth/api-tokens";
import { type AppProcess, freePort, startApp } from "../../support/app-process";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Debian's Prometheus scrapes a loopback exporter every second and remote-writes to a
 * running Loopscope (the production build) with an editor API token. Loopscope is
 * killed (-9) in the middle and started again on the same port: every sample Prometheus
 * holds must be stored exactly once, with its value, compared with Prometheus's own API.
 * Needs `npm run build` first (npm test builds) and Debian's prometheus
 * (scripts/ensure-prometheus.sh).
 */
let db: TestDatabase;
let dir: string;
let exporter: http.Server;
let prometheus: ChildProcess | undefined;
let promUrl = "";
let app: AppProcess | undefined;
let scrapes = 0;
let promLog = "";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}\n${promLog.slice(-3_000)}`);
    await sleep(250);
  }
}

type Labels = Record<string, string>;
const key = (labels: Labels) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([, v]) => v !== "")
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

/** Every raw sample Prometheus holds for the exporter's job up to `at` (seconds), by series. */
async function prometheusSamples(at: number): Promise<Map<string, [number, string][]>> {
  const params = new URLSearchParams({ query: '{job="exporter"}[10m]', time: String(at) });
  const body = (await (await fetch(`${promUrl}/api/v1/query?${params}`)).json()) as {
    data: { result: { metric: Labels; values: [number, string][] }[] };
  };
  return new Map(body.data.result.map((r) => [key(r.metric), r.values.map(([t, v]) => [Math.round(t * 1000), v] as [number, string])]));
}

/** What Loopscope stored from remote write up to `atMs`, by series (labels with __name__, as Prometheus shows them). */
async function loopscopeSamples(atMs: number): Promise<Map<string, [number, string][]>> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ metric: string; labels: Labels; t: number; v: number }>(
      `SELECT x.metric, x.labels, date_part('epoch', s.ts) * 1000 AS t, s.value AS v
         FROM samples s JOIN series x ON x.id = s.series_id
        WHERE x.source = 'remote-write' AND x.labels->>'job' = 'exporter' AND s.ts <= to_timestamp($1::float8 / 1000)
        ORDER BY x.id, s.ts`,
      [atMs],
    );
    const out = new Map<string, [number, string][]>();
    for (const r of rows) {
      const k = key({ __name__: r.metric, ...r.labels });
      const list = out.get(k) ?? [];
      // Prometheus's API prints values with Go's strconv 'f', -1: the shortest exact decimal, as String() does for these.
      list.push([Math.round(r.t), String(r.v)]);
      out.set(k, list);
    }
    return out;
  } finally {
    await client.end();
  }
}

async function promMetric(name: string): Promise<number> {
  const text = await (await fetch(`${promUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) if (line.startsWith(name) && !line.startsWith("#")) total += Number(line.split(" ").at(-1));
  return total;
}

beforeAll(async () => {
  if (!fs.existsSync(path.resolve(".next/BUILD_ID"))) throw new Error("This test runs the production build: run `npm run build` first.");
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-remote-write-"));
  exporter = http.createServer((_req, res) => {
    scrapes += 1;
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end(
      [
        "# TYPE orders_reconcile_total counter",
        `orders_reconcile_total{controller="orders",result="success"} ${scrapes * 3}`,
        `orders_reconcile_total{controller="orders",result="error"} ${Math.floor(scrapes / 4)}`,
        "# TYPE orders_queue_depth gauge",
        `orders_queue_depth{name="orders"} ${(scrapes * 7) % 11}`,
        `orders_latency_seconds{name="orders"} ${(scrapes % 9) / 8}`,
        "",
      ].join("\n"),
    );
  });
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
}, 60_000);

afterAll(async () => {
  if (app && app.child.exitCode === null) await app.stop("SIGKILL");
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
    prometheus.kill("SIGTERM");
    await Promise.race([exited, sleep(5_000)]);
    if (prometheus.exitCode === null) prometheus.kill("SIGKILL");
  }
  await new Promise((resolve) => exporter?.close(resolve));
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("Prometheus remote_write into Loopscope (real Prometheus, real Loopscope)", () => {
  it("stores every sample exactly once with its value, across a Loopscope restart (kill -9)", async () => {
    const { token, entry } = mintApiToken("prometheus", "editor", 4);
    const viewer = mintApiToken("dashboards", "viewer", 4);
    const port = await freePort();
    const env = {
      DATABASE_URL: db.url,
      LOOPSCOPE_SOURCE: "none",
      LOOPSCOPE_AUTH: "password",
      LOOPSCOPE_API_TOKENS: `${entry},${viewer.entry}`,
      LOOPSCOPE_DATA_DIR: path.join(dir, "data"),
      LOOPSCOPE_LOG_FORMAT: "json",
      LOOPSCOPE_LOG_LEVEL: "warn",
    };
    app = await startApp(env, "/api/healthz", 90_000, { port });
    // Without the token, or with a viewer's, a push is refused.
    expect((await fetch(`${app.url}/api/v1/write`, { method: "POST", body: "x" })).status).toBe(401);
    const asViewer = await fetch(`${app.url}/api/v1/write`, { method: "POST", body: "x", headers: { Authorization: `Bearer ${viewer.token}` } });
    expect(asViewer.status).toBe(403);
    // An editor's malformed push is a 400 (Prometheus drops it rather than retrying forever).
    const malformed = await fetch(`${app.url}/api/v1/write`, {
      method: "POST",
      body: "not snappy",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0" },
    });
    expect(malformed.status).toBe(400);

    fs.writeFileSync(path.join(dir, "token"), token);
    const exporterAddress = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
    fs.writeFileSync(
      path.join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 900ms",
        "scrape_configs:",
        "  - job_name: exporter",
        `    static_configs: [{ targets: ['${exporterAddress}'] }]`,
        "remote_write:",
        `  - url: ${app.url}/api/v1/write`,
        "    authorization:",
        `      credentials_file: ${path.join(dir, "token")}`,
        "    queue_config: { batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s, max_samples_per_send: 50 }",
        "",
      ].join("\n"),
    );
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"], cwd: dir },
    );
    prometheus.stdout?.on("data", (c: Buffer) => (promLog += c.toString()));
    prometheus.stderr?.on("data", (c: Buffer) => (promLog += c.toString()));
    await poll("Prometheus is ready", async () => (await fetch(`${promUrl}/-/ready`)).ok);
    await poll("samples arrive in Loopscope", async () => (await loopscopeSamples(Date.now())).size >= 5);
    await sleep(4_000);

    // Kill Loopscope mid-stream; Prometheus keeps scraping and its pushes fail meanwhile.
    await app.stop("SIGKILL");
    const retriedBefore = await promMetric("prometheus_remote_storage_samples_retried_total");
    const downSince = Date.now();
    await sleep(5_000);
    app = await startApp(env, "/api/healthz", 90_000, { port });
    const upAgain = Date.now();
    await sleep(4_000);

    // Everything up to a moment Prometheus has sent by now (a few batch deadlines ago).
    const cutoffMs = Date.now() - 2_000;
    await poll("Loopscope caught up with Prometheus", async () => {
      const stored = await loopscopeSamples(cutoffMs);
      const held = await prometheusSamples(cutoffMs / 1000);
      return [...held].every(([k, samples]) => (stored.get(k)?.length ?? 0) >= samples.length) && held.size > 0;
    });
    const held = await prometheusSamples(cutoffMs / 1000);
    const stored = await loopscopeSamples(cutoffMs);
    // The exporter's 4 series plus Prometheus's own per-target series (up, scrape_*), each with every sample once.
    expect(held.size).toBeGreaterThanOrEqual(9);
    expect([...stored.keys()].sort()).toEqual([...held.keys()].sort());
    let samples = 0;
    let whileDown = 0;
    for (const [k, values] of held) {
      expect(stored.get(k), k).toEqual(values);
      samples += values.length;
      whileDown += values.filter(([t]) => t > downSince && t < upAgain).length;
    }
    expect(samples).toBeGreaterThan(100);
    // Samples scraped while Loopscope was down arrived after its restart, and Prometheus did resend.
    expect(whileDown).toBeGreaterThan(20);
    expect(await promMetric("prometheus_remote_storage_samples_retried_total")).toBeGreaterThan(retriedBefore);
    // Nothing was refused for good (a 4xx would have made Prometheus drop the batch).
    expect(await promMetric("prometheus_remote_storage_samples_failed_total")).toBe(0);
    expect(await promMetric("prometheus_remote_storage_samples_dropped_total")).toBe(0);
  }, 240_000);
});
