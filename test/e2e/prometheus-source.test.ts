import pg from "pg";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roundValue, unpackSeries } from "../../server/dashboard/packed-series";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser, screenshotPath } from "../support/browser";
import { type ControllerExporter, defaultModel, startControllerExporter } from "../support/controller-exporter";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { eventually, trpc } from "../support/proof";
import { type OracleProcess, promQuery, promQueryRange, startPrometheusScraping } from "../support/prometheus";

/**
 * Issue 18 (the data-source part): Debian's Prometheus scrapes a loopback exporter that imitates
 * two controller-runtime controllers; Loopscope (production build, with its demo cluster too: a
 * mixed setup) has that Prometheus as its data source. It lists both controllers beside its own,
 * each marked by its source, shows Prometheus's own values, opens an anomaly window on a queue
 * depth step, fires a threshold rule on those series — and stores none of their samples.
 */

const SECRET_HEADER = "hdr-secret-4f1c9e2b7a";

type Points = [number, number][];
interface Summary {
  name: string;
  kind: string;
  source: string;
  depthPoints: Points;
  workersBusy: number | null;
  workersMax: number | null;
}
interface Overview {
  controllers: Summary[];
  prometheus: { url: string; controllers: number; lastError: string | null } | null;
}
interface Charts {
  panels: { id: string; series: { name: string; packed: { t0: number; dt: number[]; v: number[] } }[]; error: string | null }[];
}

let db: TestDatabase;
let exporter: ControllerExporter;
let prometheus: OracleProcess;
let app: AppProcess;
let browser: BrowserContext | undefined;
/** When Prometheus began scraping (its history starts here). */
let scrapingSince = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  exporter = await startControllerExporter({ alpha: defaultModel({ depth: 3 }), beta: defaultModel({ depth: 9, reconcilesPerSecond: 5, reconcileSeconds: 0.5 }) });
  scrapingSince = Date.now();
  prometheus = await startPrometheusScraping([exporter.target], { job: "operator", scrapeInterval: "1s", labels: { namespace: "team-a", pod: "operator-0" } });
  await eventually("Prometheus holding both controllers", async () => (await promQuery(prometheus.url, "count(workqueue_depth)", Date.now())).result[0]?.value?.[1] === "2", 60_000, 500);
  app = await startApp(
    {
      DATABASE_URL: db.url,
      LOOPSCOPE_SOURCE: "demo",
      LOOPSCOPE_DEMO_SCHEDULE: "none",
      LOOPSCOPE_SCRAPE_INTERVAL: "1s",
      LOOPSCOPE_PROMETHEUS_URL: prometheus.url,
      LOOPSCOPE_PROMETHEUS_SCRAPE_INTERVAL: "1s",
      LOOPSCOPE_PROMETHEUS_DISCOVERY_INTERVAL: "2s",
      LOOPSCOPE_PROMETHEUS_HEADERS: `X-Scope-OrgID=${SECRET_HEADER}`,
      LOOPSCOPE_LOG_LEVEL: "info",
      LOOPSCOPE_LOG_FORMAT: "json",
    },
    "/api/readyz",
    280_000,
  );
}, 400_000);

afterAll(async () => {
  await browser?.close();
  if (app?.child.exitCode === null) await app.stop("SIGTERM");
  await prometheus?.stop();
  await exporter?.close();
  await db?.drop();
});

async function overview(from: number, to: number, points: number): Promise<Overview> {
  return trpc<Overview>(app.url, "query", "overview.summary", { from, to, points });
}

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-3 * Math.max(Math.abs(a), Math.abs(b));
}

describe("a Prometheus data source (real Prometheus, production build)", () => {
  it("lists both Prometheus controllers beside Loopscope's own, each marked by its source, with Prometheus's values", async () => {
    const listed = await eventually(
      "alpha and beta on the overview",
      async () => {
        const to = Date.now();
        const o = await overview(to - 60_000, to, 61);
        return o.controllers.some((c) => c.name === "alpha") && o.controllers.some((c) => c.name === "beta") ? o : undefined;
      },
      60_000,
      500,
    );
    const alpha = listed.controllers.find((c) => c.name === "alpha");
    expect(alpha).toMatchObject({ kind: "prometheus", source: "prometheus", workersBusy: 1, workersMax: 4 });
    expect(listed.controllers.filter((c) => c.kind === "built-in").length).toBeGreaterThan(0);
    expect(listed.prometheus).toMatchObject({ url: prometheus.url, controllers: 2, lastError: null });

    // The sparkline is Prometheus's `sum by (job, namespace, name) (workqueue_depth)` at the same steps (over 40 s of history at least).
    await eventually("40 s of history in Prometheus", () => Date.now() - scrapingSince > 45_000, 60_000, 500);
    const to = Math.floor(Date.now() / 1000) * 1000 - 1_000;
    const from = to - 60_000;
    const o = await overview(from, to, 61);
    const theirs = await promQueryRange(prometheus.url, 'sum by (job,namespace,name) (workqueue_depth{name="beta"})', from, to, 1_000);
    const mine = o.controllers.find((c) => c.name === "beta")?.depthPoints ?? [];
    expect(mine.length).toBeGreaterThan(30);
    expect(mine).toEqual(theirs[0].values.map(([t, v]) => [Math.round(t * 1000), Number(v)]));
  });

  it("draws the controller page from Prometheus: every chart equals Prometheus's own answer", async () => {
    const now = await trpc<{ known: boolean; source: string }>(app.url, "query", "overview.controllerNow", { name: "beta", from: Date.now() - 60_000, to: Date.now() });
    expect(now).toMatchObject({ known: true, source: "prometheus" });
    // 50 points over 49 s (the narrowest chart): 1 s steps and 60 s rate windows (4 × 1 s, at least 1 m), so 109 s of history are read.
    await eventually("two minutes of history in Prometheus", () => Date.now() - scrapingSince > 120_000, 200_000, 1_000);
    const to = Math.floor(Date.now() / 1000) * 1000 - 5_000;
    const from = to - 49_000;
    const charts = await trpc<Charts>(app.url, "query", "overview.controllerCharts", { name: "beta", from, to, width: 50 });
    expect(charts.panels.map((p) => p.id)).toEqual(["queue-depth", "adds", "queue-wait", "reconcile-time", "workers", "results", "retries", "unfinished"]);
    const sel = 'job="operator",namespace="team-a"';
    const cases: [string, string, string][] = [
      ["queue-depth", "depth", `sum(workqueue_depth{name="beta",${sel}})`],
      ["adds", "adds/s", `sum(rate(workqueue_adds_total{name="beta",${sel}}[1m]))`],
      ["reconcile-time", "p99", `histogram_quantile(0.99, sum by (le) (rate(workqueue_work_duration_seconds_bucket{name="beta",${sel}}[1m])))`],
      ["workers", "max", `max(controller_runtime_max_concurrent_reconciles{controller="beta",${sel}})`],
      ["results", "success", `sum by (result) (rate(controller_runtime_reconcile_total{controller="beta",result="success",${sel}}[1m]))`],
    ];
    for (const [panelId, seriesName, promql] of cases) {
      const panel = charts.panels.find((p) => p.id === panelId);
      expect(panel?.error ?? null, panelId).toBeNull();
      const series = panel?.series.find((s) => s.name === seriesName);
      const mine = series ? unpackSeries(series.packed) : [];
      const theirs = (await promQueryRange(prometheus.url, promql, from, to, 1_000))[0]?.values ?? [];
      expect(mine.length, `${panelId} ${seriesName}`).toBe(theirs.length);
      expect(mine.length, `${panelId} ${seriesName}`).toBe(50);
      theirs.forEach(([t, v], i) => {
        expect(mine[i][0]).toBe(Math.round(t * 1000));
        expect(close(mine[i][1], roundValue(Number(v))), `${panelId} ${seriesName} at ${t}: ${mine[i][1]} vs ${v}`).toBe(true);
      });
    }
  }, 240_000);

  it("opens an anomaly window and fires a threshold rule on a queue-depth step, with no sample of those series in Postgres", async () => {
    // A rule on the Prometheus series, before the fault: it must not fire yet.
    await trpc(app.url, "mutation", "alerts.rules.create", {
      name: "PromQueueDeep",
      kind: "threshold",
      spec: { query: { metric: "workqueue_depth", matchers: [{ name: "name", op: "=", value: "alpha" }], fn: "raw", agg: "max", by: ["name"], source: "prometheus" }, comparator: ">", value: 50 },
      for: "0s",
      interval: "1s",
      labels: { severity: "warning" },
    });
    // The detector watches alpha's series (read from Prometheus) and has learned its level.
    await eventually(
      "alpha's queue depth watched and evaluated",
      async () => {
        const watched = await trpc<{ key: string; lastTs: number | null; query: { source?: string } }[]>(app.url, "query", "anomaly.watched");
        const depth = watched.find((w) => w.key === 'queue_depth{controller="alpha"}');
        return depth?.lastTs && depth.query.source === "prometheus" ? depth : undefined;
      },
      60_000,
      1_000,
    );
    const firingBefore = await trpc<{ ruleName: string | null; state: string }[]>(app.url, "query", "alerts.list", { states: ["firing"] });
    expect(firingBefore.filter((a) => a.ruleName === "PromQueueDeep")).toEqual([]);

    exporter.set("alpha", { depth: 80 });
    const firing = await eventually(
      "PromQueueDeep firing",
      async () => (await trpc<{ ruleName: string | null; labels: Record<string, string> }[]>(app.url, "query", "alerts.list", { states: ["firing"] })).find((a) => a.ruleName === "PromQueueDeep"),
      60_000,
      1_000,
    );
    expect(firing.labels).toMatchObject({ alertname: "PromQueueDeep", name: "alpha" });
    const window = await eventually(
      "an anomaly window on alpha's queue depth",
      async () => (await trpc<{ seriesKey: string; controller: string | null; direction: string }[]>(app.url, "query", "anomaly.openWindows")).find((w) => w.seriesKey === 'queue_depth{controller="alpha"}'),
      120_000,
      1_000,
    );
    expect(window).toMatchObject({ controller: "alpha", direction: "above" });
    const o = await overview(Date.now() - 60_000, Date.now(), 61);
    expect(o.controllers.find((c) => c.name === "alpha")).toMatchObject({ kind: "prometheus" });

    // Postgres holds Loopscope's own series and state, and none of the Prometheus controllers' samples.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const theirs = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM series WHERE labels->>'job' = 'operator' OR labels->>'name' IN ('alpha', 'beta') OR labels->>'controller' IN ('alpha', 'beta')`,
      );
      expect(theirs.rows[0].n).toBe(0);
      const samples = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM samples s JOIN series r ON r.id = s.series_id WHERE r.labels->>'job' = 'operator' OR r.labels->>'name' IN ('alpha', 'beta')`,
      );
      expect(samples.rows[0].n).toBe(0);
      const own = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM series WHERE labels->>'job' = 'loopscope'");
      expect(own.rows[0].n).toBeGreaterThan(0);
      const windows = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM anomaly_windows WHERE series_key = 'queue_depth{controller="alpha"}'`);
      expect(windows.rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  }, 240_000);

  it("shows the source badge in Chromium and never shows or logs the header's secret value", async () => {
    const sources = await trpc<{ prometheus: { url: string; headerNames: string[]; auth: string } | null }>(app.url, "query", "query.sources");
    expect(sources.prometheus).toMatchObject({ url: prometheus.url, headerNames: ["X-Scope-OrgID"], auth: "none" });
    expect(JSON.stringify(sources)).not.toContain(SECRET_HEADER);
    expect(app.output()).toContain("reading controllers from the Prometheus data source");
    expect(app.output()).not.toContain(SECRET_HEADER);

    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(app.url);
    const badge = page.locator('[data-testid="controller-card-alpha"] [data-testid="source-badge"]');
    await badge.waitFor({ timeout: 60_000 });
    expect(await badge.getAttribute("data-source")).toBe("prometheus");
    expect((await badge.textContent())?.trim()).toBe("prometheus");
    const own = page.locator('[data-testid="source-badge"][data-source="built-in"]').first();
    await own.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath("prometheus-source-overview"), fullPage: true });
    expect(await page.content()).not.toContain(SECRET_HEADER);
  }, 120_000);
});
