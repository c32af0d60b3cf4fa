/**
 * Dashboard page speed and weight (issue 16), measured in Debian's Chromium against a real
 * Loopscope on 30 minutes of demo data:
 *
 *   npm run bench:pages [-- --baseline <checkout of the old main, built>]
 *
 * The demo is accelerated: it runs 3 minutes at 10× speed with a 0.5 s scrape interval, then
 * its recorded samples (and anomaly windows, alert events) are stretched 10× back in time, so
 * the pages show 30 minutes of data at the normal 5 s resolution with the faults in proportion.
 * Each page is then loaded 5 times per build; printed per page: the p50 time until its charts
 * are drawn, the JSON bytes moved (tRPC response bodies) and the JavaScript (gzip): first load
 * as Next.js counts it (the scripts the page's HTML names) and, beside it, everything the view
 * fetched until drawn (code loaded on demand, such as the chart library, included).
 * With `--baseline`, the same database is served by the old build too and its figures are
 * printed beside. The last line is one JSON object with the figures.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import pg from "pg";
import type { CDPSession, Page } from "playwright-core";
import { log } from "../server/log";
import { rebuildRollup } from "../server/store/rollup";
import { freePort, startApp } from "../test/support/app-process";
import { launchBrowser } from "../test/support/browser";
import { freshDatabase } from "./support/fresh-database";
import { median } from "./support/stats";

const quiet = log.child({ component: "bench" }, { level: "warn" });
const SCALE = 10;
const SEED_MS = Number(process.env.BENCH_SEED_MS ?? 180_000);
const LOADS = 5;
const baselineArg = process.argv.indexOf("--baseline");
const baselineDir = baselineArg > 0 ? path.resolve(process.argv[baselineArg + 1] ?? "") : process.env.BENCH_BASELINE_DIR;

interface PageSpec {
  name: "overview" | "controller" | "leaks" | "alerts" | "explore";
  path: string;
  /** True in the page once its charts (or its table, for alerts) are drawn (a function run in the page, so the CSP allows it). */
  drawn: (arg: number) => boolean;
  arg: number;
}

/** Run in the page: at least `min` chart panels, none still loading, and a plot (or a "no data" message) on screen. */
function chartsDrawn(min: number): boolean {
  const panels = [...document.querySelectorAll(".chart-panel")];
  return panels.length >= min && panels.every((p) => p.getAttribute("data-state") !== "loading") && document.querySelector(".recharts-surface, .chart-message") !== null;
}

const PAGES: PageSpec[] = [
  { name: "overview", path: "/", drawn: (min) => document.querySelectorAll("[data-testid=controller-grid] .sparkline path").length >= min, arg: 3 },
  { name: "controller", path: "/controllers/pods", drawn: chartsDrawn, arg: 9 },
  { name: "leaks", path: "/leaks", drawn: chartsDrawn, arg: 1 },
  { name: "alerts", path: "/alerts", drawn: () => document.querySelector("[data-testid=alert-row], .empty-row, [data-testid=alerts-table]") !== null, arg: 0 },
];

interface Load {
  ms: number;
  jsonBytes: number;
  /** The route's first-load JavaScript: the scripts its HTML names (Next.js's "First Load JS"). */
  jsGzip: number;
  /** Every script the view fetched until drawn, lazily loaded code (e.g. the chart library) included. */
  viewJsGzip: number;
}

async function loadOnce(page: Page, cdp: CDPSession, url: string, spec: PageSpec): Promise<Load> {
  let jsonBytes = 0;
  const scripts = new Map<string, number>();
  const pending: Promise<void>[] = [];
  // tRPC answers are streamed (httpBatchStreamLink), and the client cancels a stream once it has
  // every answer, so Chromium reports it failed (ERR_ABORTED) and never "finished": the JSON
  // bytes are summed from the network layer's data events (body bytes received) instead.
  const trpc = new Set<string>();
  const onRequest = (e: { requestId: string; request: { url: string } }) => {
    if (e.request.url.includes("/api/trpc")) trpc.add(e.requestId);
  };
  const onData = (e: { requestId: string; dataLength: number }) => {
    if (trpc.has(e.requestId)) jsonBytes += e.dataLength;
  };
  cdp.on("Network.requestWillBeSent", onRequest);
  cdp.on("Network.dataReceived", onData);
  // Scripts are read whole, to be gzipped as a server would send them.
  const onResponse = (response: import("playwright-core").Response) => {
    if (response.request().resourceType() !== "script") return;
    pending.push(
      response.body().then(
        (body) => {
          scripts.set(new URL(response.url()).pathname, gzipSync(body).length);
        },
        () => undefined,
      ),
    );
  };
  page.on("response", onResponse);
  const t0 = performance.now();
  const document = await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction(spec.drawn, spec.arg, { timeout: 120_000, polling: "raf" });
  const ms = performance.now() - t0;
  const html = (await document?.text().catch(() => "")) ?? "";
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await Promise.all(pending);
  page.off("response", onResponse);
  cdp.off("Network.requestWillBeSent", onRequest);
  cdp.off("Network.dataReceived", onData);
  const named = new Set(html.match(/\/_next\/static\/[^"'\s\\]+\.js/g) ?? []);
  const sum = (keep: (path: string) => boolean) => [...scripts].reduce((total, [path, bytes]) => total + (keep(path) ? bytes : 0), 0);
  return { ms, jsonBytes, jsGzip: sum((path) => named.has(path)), viewJsGzip: sum(() => true) };
}

/** Stretches everything recorded after `since` by SCALE back from `end`, so 3 accelerated minutes read as 30. */
async function stretch(url: string, since: number, end: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const at = (column: string) => `to_timestamp(($1::float8 - ($1::float8 - extract(epoch from ${column}) * 1000) * ${SCALE}) / 1000)`;
  try {
    await client.query("BEGIN");
    await client.query(`UPDATE samples SET ts = ${at("ts")} WHERE ts >= to_timestamp($2::float8 / 1000)`, [end, since]);
    await client.query(
      `UPDATE anomaly_windows SET start_at = ${at("start_at")}, end_at = CASE WHEN end_at IS NULL THEN NULL ELSE ${at("end_at")} END WHERE start_at >= to_timestamp($2::float8 / 1000)`,
      [end, since],
    );
    await client.query(`UPDATE alert_events SET at = ${at("at")} WHERE at >= to_timestamp($2::float8 / 1000)`, [end, since]);
    await client.query("DELETE FROM samples_1m");
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    await client.end();
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await rebuildRollup(pool, end - (end - since) * SCALE - 60_000, end + 60_000);
  } finally {
    await pool.end();
  }
}

function appEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: url,
    LOOPSCOPE_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-bench-pages-")),
    LOOPSCOPE_DEMO_TIME_SCALE: String(SCALE),
    LOOPSCOPE_LOG_LEVEL: "warn",
    ...extra,
  };
}

interface Figures {
  ms: number;
  jsonBytes: number;
  jsGzipKb: number;
  viewJsGzipKb: number;
}

async function measure(label: string, cwd: string, url: string): Promise<Record<string, Figures>> {
  const app = await startApp(appEnv(url), "/api/readyz", 180_000, { cwd });
  const browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
  const out: Record<string, Figures> = {};
  try {
    // One warm-up view so the server's first-request work is not charged to a page.
    const warm = await browser.newPage();
    await warm.goto(`${app.url}/`, { waitUntil: "networkidle" }).catch(() => undefined);
    await warm.close();
    for (const spec of PAGES) {
      const loads: Load[] = [];
      for (let i = 0; i < LOADS; i++) {
        const page = await browser.newPage();
        // Every load is a first load: no HTTP cache, so the JavaScript counted is what a new visitor downloads.
        const cdp = await browser.newCDPSession(page);
        await cdp.send("Network.enable");
        await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
        loads.push(await loadOnce(page, cdp, app.url + spec.path, spec));
        await page.close();
      }
      out[spec.name] = {
        ms: Math.round(median(loads.map((l) => l.ms))),
        jsonBytes: Math.round(median(loads.map((l) => l.jsonBytes))),
        jsGzipKb: Math.round(median(loads.map((l) => l.jsGzip)) / 1024),
        viewJsGzipKb: Math.round(median(loads.map((l) => l.viewJsGzip)) / 1024),
      };
      const r = out[spec.name];
      console.log(`${label.padEnd(9)} ${spec.name.padEnd(11)} p50 ${String(r.ms).padStart(5)} ms until drawn · ${(r.jsonBytes / 1024).toFixed(0).padStart(5)} kB JSON · ${String(r.jsGzipKb).padStart(4)} kB JS gzip first load (${r.viewJsGzipKb} kB with lazy code)`);
    }
  } finally {
    await browser.close();
    await app.stop();
  }
  return out;
}

const db = await freshDatabase({ folder: "bench-pages", port: await freePort(), prefix: "loopscope_bench_pages", log: quiet });
try {
  console.log(`seeding: the demo at ${SCALE}× for ${SEED_MS / 1000} s (${(SEED_MS * SCALE) / 60_000} min of demo time)…`);
  const since = Date.now();
  const seed = await startApp(appEnv(db.url, { LOOPSCOPE_SCRAPE_INTERVAL: `${Math.round(5_000 / SCALE)}ms` }), "/api/readyz", 180_000);
  await new Promise((r) => setTimeout(r, SEED_MS));
  await seed.stop();
  const end = Date.now();
  await stretch(db.url, since, end);
  console.log(`seeded ${((end - since) * SCALE) / 60_000} min of data ending at ${new Date(end).toISOString()}`);

  const branch = await measure("this", process.cwd(), db.url);
  const baseline = baselineDir ? await measure("baseline", baselineDir, db.url) : null;
  if (!baseline) console.log("(no baseline: pass --baseline <dir> of a built checkout of the old main to print its figures beside)");
  const figures = (r: typeof branch) => ({
    overview_ms: r.overview.ms,
    controller_ms: r.controller.ms,
    leaks_ms: r.leaks.ms,
    alerts_ms: r.alerts.ms,
    controller_json_bytes: r.controller.jsonBytes,
    json_bytes: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.jsonBytes])),
    first_load_js_gzip_kb: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.jsGzipKb])),
    view_js_gzip_kb: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.viewJsGzipKb])),
  });
  console.log(
    JSON.stringify({
      ...figures(branch),
      targets: { page_ms: 1_500, controller_json_bytes: 150_000, first_load_js_gzip_kb: 250 },
      baseline: baseline ? figures(baseline) : null,
    }),
  );
} finally {
  await db.drop();
}
