/**
 * Abuse check (issue 17): a live Loopscope (production build, embedded PostgreSQL, demo
 * cluster, password mode with one API token) is measured by a normal client on a thread of its
 * own (bench/support/normal-client.ts) — `/api/healthz` every 100 ms and the overview API
 * (`overview.summary` of the last hour at 60 points, as the dashboard asks for it, with a valid
 * token) every 250 ms —
 * first alone (baseline), then while attackers run from other loopback addresses:
 *  - ReDoS: `query.range` of a scraped series whose `space` label holds 48 characters, with
 *    `space=~"(.|.|.)*!"` (a backtracking engine needs 3^48 steps), 8/s, and silences with it, 1/s;
 *  - window queries: batches of 8 `histogram_quantile` over 7 days with a 31-day window, 1/s;
 *  - bogus tokens: `Bearer lst_ci_<random>` for the known token name, from 20 rotating addresses,
 *    100/s (on a bcrypt per token that is 15 CPU-seconds a second).
 * Prints both phases side by side and ends with one JSON line.
 *
 *   npm run bench:abuse -- [--baseline 30] [--abuse 30] [--warmup 15] [--attacks redos,window,tokens]
 *
 * `--attacks` picks some of the attacks (all by default), to see which one costs what.
 *
 * Needs the production build (`npm run build`). Everything runs on loopback; the data folder
 * is temporary and removed at the end.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Agent, request } from "undici";
import { mintApiToken } from "../server/auth/api-tokens";
import { type AppProcess, freePort, startApp } from "../test/support/app-process";
import { overviewUrl, type PhaseFigures, startNormalClient } from "./support/normal-client";
import { quantile } from "./support/stats";

const ATTACKS = ["redos", "window", "tokens"] as const;
type AttackKind = (typeof ATTACKS)[number];

interface Options {
  warmupS: number;
  baselineS: number;
  abuseS: number;
  attacks: AttackKind[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { warmupS: 15, baselineS: 30, abuseS: 30, attacks: [...ATTACKS] };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split("=", 2);
    const text = inline ?? argv[++i];
    if (flag === "--attacks") {
      const picked = text.split(",").map((a) => a.trim());
      const unknown = picked.filter((a) => !(ATTACKS as readonly string[]).includes(a));
      if (unknown.length > 0) throw new Error(`Unknown attack ${unknown.join(", ")}; use ${ATTACKS.join(", ")}.`);
      options.attacks = picked as AttackKind[];
      continue;
    }
    const value = Number(text);
    if (!(value > 0)) throw new Error(`${flag} needs a positive number of seconds`);
    if (flag === "--warmup") options.warmupS = value;
    else if (flag === "--baseline") options.baselineS = value;
    else if (flag === "--abuse") options.abuseS = value;
    else throw new Error(`Unknown option ${flag}; use --warmup, --baseline or --abuse.`);
  }
  return options;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Attack rates (each loop starts a request at most this often): the point is what one hostile
 * request costs, so the rates are fixed — a busy loop would only measure the machine's cores.
 * ReDoS queries 2 × 4/s, ReDoS silences 1/s, window batches 2 × 0.5/s, bogus tokens 20 × 5/s.
 */
const PACE_MS = { redosQuery: 250, redosSilence: 1_000, window: 2_000, tokens: 200 };

/** One HTTP client bound to a loopback source address (so each attacker is its own client). */
function clientFrom(address: string): Agent {
  return new Agent({ connect: { localAddress: address }, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS, connections: 8 });
}

interface Answer {
  status: number;
  ms: number;
}

async function call(agent: Agent, url: string, init: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await request(url, { dispatcher: agent, method: init.method ?? "GET", headers: init.headers, body: init.body });
    await response.body.dump();
    return { status: response.statusCode, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

function trpcUrl(base: string, procedures: string[], inputs: unknown[]): string {
  const input = Object.fromEntries(inputs.map((value, i) => [i, value]));
  return `${base}/api/trpc/${procedures.join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

/** An exporter of one series whose `space` label is long enough for a backtracking regex to never finish. */
async function startExporter(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(`# TYPE abuse_probe gauge\nabuse_probe{space="${"a".repeat(48)}"} 1\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface AttackFigures {
  name: string;
  requests: number;
  statuses: Record<string, number>;
  p50: number;
}

/**
 * Runs `attack` in `workers` loops (each from its own source address) until stopped; with
 * `paceMs`, each loop starts a request at most every paceMs (a steady flood, not a busy loop).
 */
function attacker(name: string, workers: number, firstAddress: number, attack: (agent: Agent, worker: number, i: number) => Promise<Answer>, paceMs = 0) {
  const agents = Array.from({ length: workers }, (_, w) => clientFrom(`127.0.${Math.floor((firstAddress + w) / 250) + 10}.${((firstAddress + w) % 250) + 2}`));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let stopping = false;
  const loops = agents.map(async (agent, w) => {
    for (let i = 0; !stopping; i += 1) {
      const started = performance.now();
      const answer = await attack(agent, w, i);
      if (paceMs > 0) await sleep(Math.max(0, paceMs - (performance.now() - started)));
      latencies.push(answer.ms);
      statuses[answer.status || "timeout/reset"] = (statuses[answer.status || "timeout/reset"] ?? 0) + 1;
      // A paced attacker keeps its pace whatever it is told (429, Retry-After): the flood stays as hard.
      if (paceMs === 0 && (answer.status === 429 || answer.status === 0)) await sleep(50);
    }
  });
  return {
    async stop(): Promise<AttackFigures> {
      stopping = true;
      await Promise.all(loops);
      await Promise.all(agents.map((a) => a.close()));
      return { name, requests: latencies.length, statuses, p50: quantile(latencies, 0.5) };
    },
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-abuse-"));
  fs.chmodSync(dataDir, 0o755);
  const exporter = await startExporter();
  const ci = mintApiToken("ci", "editor", 10);
  const password = randomBytes(12).toString("base64url");
  console.log(
    `abuse: warm-up ${options.warmupS} s, baseline ${options.baselineS} s, abuse ${options.abuseS} s (${options.attacks.join(", ")}); ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(1)}`,
  );
  const app = await startApp({
    LOOPSCOPE_DATA_DIR: dataDir,
    LOOPSCOPE_PG_PORT: String(await freePort()),
    LOOPSCOPE_SOURCE: "demo",
    LOOPSCOPE_DEMO_SCHEDULE: "none",
    LOOPSCOPE_LOG_LEVEL: "error",
    LOOPSCOPE_SCRAPE_INTERVAL: "2s",
    LOOPSCOPE_AUTH: "password",
    LOOPSCOPE_ADMIN_PASSWORD: password,
    LOOPSCOPE_API_TOKENS: ci.entry,
    LOOPSCOPE_TARGETS: exporter.url,
  }, "/api/readyz", 300_000);
  try {
    await measure(options, app, ci.token);
  } finally {
    if (app.child.exitCode === null) await app.stop("SIGTERM");
    await exporter.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function line(label: string, figures: PhaseFigures): string {
  return `  ${label.padEnd(12)} healthz p50 ${round(quantile(figures.healthz, 0.5))} ms  p99 ${round(quantile(figures.healthz, 0.99))} ms  (${figures.healthz.length} calls, ${figures.healthzFailures} failed)   overview p50 ${round(quantile(figures.api, 0.5))} ms  p95 ${round(quantile(figures.api, 0.95))} ms  (${figures.api.length} calls, ${figures.apiFailures} failed)`;
}

async function measure(options: Options, app: AppProcess, token: string): Promise<void> {
  const base = app.url;
  const setup = clientFrom("127.0.0.1");
  const auth = { authorization: `Bearer ${token}` };
  // The services start after readiness; wait for the overview and for the probe series to be recorded.
  const by = Date.now() + 120_000;
  for (;;) {
    const probe = await request(trpcUrl(base, ["query.range"], [{ metric: "abuse_probe", start: Date.now() - 60_000, end: Date.now(), maxPoints: 10 }]), { dispatcher: setup, headers: auth });
    const text = await probe.body.text();
    if (probe.statusCode === 200 && text.includes("space")) break;
    if (Date.now() > by) throw new Error(`the probe series was not recorded within 120 s: ${text.slice(0, 300)}`);
    await sleep(500);
  }
  // The normal client's overview call must succeed alone, or the figures would time refusals.
  const overview = await request(overviewUrl(base), { dispatcher: setup, headers: auth });
  const overviewText = await overview.body.text();
  if (overview.statusCode !== 200) throw new Error(`the overview call fails (HTTP ${overview.statusCode}): ${overviewText.slice(0, 300)}`);
  await setup.close();
  await sleep(options.warmupS * 1_000);

  // The machine's load (1-minute average) as each phase ends: on a shared machine it explains much of the spread.
  const load: { baseline?: number; abuse?: number } = {};
  const baselineClient = startNormalClient(base, token);
  await sleep(options.baselineS * 1_000);
  const baseline = await baselineClient.stop();
  load.baseline = round(os.loadavg()[0], 2) ?? undefined;
  console.log(line("baseline", baseline));

  const abuseClient = startNormalClient(base, token);
  const now = Date.now();
  const redos = { metric: "abuse_probe", matchers: [{ name: "space", op: "=~", value: "(.|.|.)*!" }], start: now - 3_600_000, end: now, maxPoints: 100 };
  const window = {
    metric: "workqueue_queue_duration_seconds_bucket",
    fn: "histogram_quantile",
    quantile: 0.99,
    aggregate: { op: "sum", by: ["le"] },
    windowMs: 31 * 86_400_000,
    start: now - 7 * 86_400_000,
    end: now,
    stepMs: 60_000,
  };
  const all: [AttackKind, ReturnType<typeof attacker>][] = [];
  const run = (kind: AttackKind, start: () => ReturnType<typeof attacker>) => {
    if (options.attacks.includes(kind)) all.push([kind, start()]);
  };
  run("redos", () => attacker("redos query", 2, 0, (agent) => call(agent, trpcUrl(base, ["query.range"], [redos]), { headers: auth }), PACE_MS.redosQuery));
  run("redos", () => attacker("redos silence", 1, 10, (agent, _w, i) =>
      call(agent, `${base}/api/trpc/alerts.silences.create`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ matchers: [{ name: "space", op: "=~", value: "(.|.|.)*!" }], endsAt: Date.now() + 60_000 + i, createdBy: "bench", comment: "abuse" }),
      }),
    PACE_MS.redosSilence),
  );
  run("window", () => attacker("window query", 2, 20, (agent) => call(agent, trpcUrl(base, Array(8).fill("query.range"), Array(8).fill(window)), { headers: auth }), PACE_MS.window));
  run("tokens", () =>
    attacker(
      "bogus tokens",
      20,
      40,
      (agent, w, i) => call(agent, `${base}/api/trpc/overview.summary`, { headers: { authorization: `Bearer lst_ci_${`${w}x${i}`.padEnd(32, "z").slice(0, 32)}` } }),
      PACE_MS.tokens,
    ),
  );
  const attacks = all.map(([, a]) => a);
  await sleep(options.abuseS * 1_000);
  const attackFigures = await Promise.all(attacks.map((a) => a.stop()));
  const abused = await abuseClient.stop();
  load.abuse = round(os.loadavg()[0], 2) ?? undefined;
  console.log(line("under abuse", abused));
  for (const a of attackFigures) console.log(`  attacker ${a.name.padEnd(14)} ${a.requests} requests, p50 ${round(a.p50)} ms, statuses ${JSON.stringify(a.statuses)}`);
  if (app.child.exitCode !== null) throw new Error(`the app exited (code ${app.child.exitCode}):\n${app.output().slice(-4_000)}`);

  const result = {
    bench: "abuse",
    attacks_run: options.attacks,
    attack_pace_ms: PACE_MS,
    healthz_p99_ms_baseline: round(quantile(baseline.healthz, 0.99)),
    healthz_p99_ms_under_abuse: round(quantile(abused.healthz, 0.99)),
    healthz_p99_ratio: round(quantile(abused.healthz, 0.99) / quantile(baseline.healthz, 0.99), 2),
    api_p95_ms_baseline: round(quantile(baseline.api, 0.95)),
    api_p95_ms_under_abuse: round(quantile(abused.api, 0.95)),
    api_p95_ratio: round(quantile(abused.api, 0.95) / quantile(baseline.api, 0.95), 2),
    normal_client_failures_under_abuse: abused.healthzFailures + abused.apiFailures,
    machine: { cpus: os.availableParallelism(), load_average_1m: load },
    attack_figures: Object.fromEntries(attackFigures.map((a) => [a.name.replace(/ /g, "_"), { requests: a.requests, statuses: a.statuses }])),
    targets: { healthz_p99_ms_under_abuse: 200, api_p95_ms_under_abuse: 500 },
    met: quantile(abused.healthz, 0.99) < 200 && quantile(abused.api, 0.95) < 500 && abused.healthzFailures + abused.apiFailures === 0,
  };
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
