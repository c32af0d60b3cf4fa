import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./app-process";

const run = promisify(execFile);

/** A real Debian Prometheus or Alertmanager on loopback, for conformance tests. */
export interface OracleProcess {
  url: string;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

async function startOracle(binary: string, args: (port: number, dir: string) => string[], readyPath: string, dir: string): Promise<OracleProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(binary, args(port, dir), { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${binary} exited early (code ${child.exitCode}):\n${output}`);
    if (await fetch(url + readyPath).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${binary} not ready within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    dir,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Prometheus over the samples of an OpenMetrics text (with timestamps), imported with
 * `promtool tsdb create-blocks-from openmetrics`: exactly the same samples a test feeds
 * Loopscope, with no scrape timing involved.
 */
export async function startPrometheusWithSamples(openMetrics: string): Promise<OracleProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-prometheus-"));
  fs.writeFileSync(path.join(dir, "samples.om"), openMetrics);
  fs.writeFileSync(path.join(dir, "prometheus.yml"), "global:\n  evaluation_interval: 1m\n");
  await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", "--quiet", path.join(dir, "samples.om"), path.join(dir, "data")], { maxBuffer: 16 * 1024 * 1024 });
  return startOracle(
    "prometheus",
    (port, d) => [
      `--config.file=${path.join(d, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(d, "data")}`,
      "--storage.tsdb.retention.time=3650d",
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    "/-/ready",
    dir,
  );
}

/**
 * Prometheus scraping loopback targets every `scrapeInterval` (job `job`, with `labels` added to
 * every series as target labels), on a free port with its own temporary data folder.
 */
export async function startPrometheusScraping(targets: readonly string[], options: { job: string; scrapeInterval: string; labels?: Record<string, string> }): Promise<OracleProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-prometheus-"));
  const labels = Object.entries(options.labels ?? {}).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`);
  fs.writeFileSync(
    path.join(dir, "prometheus.yml"),
    [
      "global:",
      `  scrape_interval: ${options.scrapeInterval}`,
      `  scrape_timeout: ${options.scrapeInterval}`,
      "  evaluation_interval: 1m",
      "scrape_configs:",
      `  - job_name: ${JSON.stringify(options.job)}`,
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
      ...(labels.length > 0 ? ["        labels:", ...labels] : []),
      "",
    ].join("\n"),
  );
  return startOracle(
    "prometheus",
    (port, d) => [`--config.file=${path.join(d, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(d, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    "/-/ready",
    dir,
  );
}

/** Prometheus's instant query answer (a vector or matrix). */
export async function promQuery(base: string, query: string, timeMs: number): Promise<{ resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] }> {
  const params = new URLSearchParams({ query, time: String(timeMs / 1000) });
  const response = await fetch(`${base}/api/v1/query?${params}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: [] } };
  if (body.status !== "success" || !body.data) throw new Error(`Prometheus refused ${query}: ${body.error ?? response.status}`);
  return body.data;
}

/** Alertmanager with one webhook receiver and the given route timings (group_wait etc.). */
export async function startAlertmanager(webhookUrl: string, route: { groupWait: string; groupInterval: string; repeatInterval: string }): Promise<OracleProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-alertmanager-"));
  fs.writeFileSync(
    path.join(dir, "alertmanager.yml"),
    [
      "route:",
      "  receiver: hook",
      "  group_by: [alertname, controller]",
      `  group_wait: ${route.groupWait}`,
      `  group_interval: ${route.groupInterval}`,
      `  repeat_interval: ${route.repeatInterval}`,
      "receivers:",
      "  - name: hook",
      "    webhook_configs:",
      `      - url: ${webhookUrl}`,
      "        send_resolved: true",
      "",
    ].join("\n"),
  );
  const cluster = await freePort();
  return startOracle(
    "prometheus-alertmanager",
    (port, d) => [
      `--config.file=${path.join(d, "alertmanager.yml")}`,
      `--storage.path=${path.join(d, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--cluster.listen-address=127.0.0.1:${cluster}`,
      "--log.level=warn",
    ],
    "/-/ready",
    dir,
  );
}

/** Prometheus's query_range answer: series with their labels and [seconds, "value"] pairs. */
export interface PromMatrix {
  metric: Record<string, string>;
  values: [number, string][];
}

export async function promQueryRange(base: string, query: string, startMs: number, endMs: number, stepMs: number): Promise<PromMatrix[]> {
  const params = new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepMs / 1000) });
  const response = await fetch(`${base}/api/v1/query_range?${params}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: PromMatrix[] } };
  if (body.status !== "success" || !body.data) throw new Error(`Prometheus refused ${query}: ${body.error ?? response.status}`);
  return body.data.result;
}
