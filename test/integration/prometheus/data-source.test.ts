import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controllerPanels } from "../../../server/dashboard/controller-panels";
import { PrometheusDataSource } from "../../../server/prometheus/data-source";
import { PrometheusRequestError } from "../../../server/prometheus/http-client";
import type { PrometheusSettings } from "../../../server/prometheus/settings";
import { rangeQuerySchema } from "../../../server/query/range-query";
import { type ControllerExporter, defaultModel, startControllerExporter } from "../../support/controller-exporter";
import { eventually } from "../../support/proof";
import { type OracleProcess, promQuery, promQueryRange, startPrometheusScraping } from "../../support/prometheus";

/**
 * The Prometheus data source against Debian's real Prometheus scraping a loopback exporter of two
 * controller-runtime controllers, over real HTTP (and HTTPS with a CA of the test's own, and an
 * authenticating proxy): discovery, every controller-page query equal to Prometheus's own
 * answer to the same PromQL, raw reads, the API calls, and the errors.
 */

const TOKEN = "tok-0123456789abcdef";
const PASSWORD = "pw-fedcba9876543210";
const ORG = "tenant-7";

let exporter: ControllerExporter;
let prometheus: OracleProcess;
let proxy: { url: string; close(): Promise<void>; seen: string[] };
let tlsProxy: { url: string; close(): Promise<void> };
let dir: string;

function settings(overrides: Partial<PrometheusSettings> = {}): PrometheusSettings {
  return {
    baseUrl: prometheus.url,
    auth: { kind: "none" },
    headers: {},
    timeoutMs: 10_000,
    maxResponseBytes: 16 * 1024 * 1024,
    scrapeIntervalMs: 1_000,
    identityLabels: ["job", "namespace"],
    discoveryIntervalMs: 60_000,
    ...overrides,
  };
}

/** A reverse proxy to Prometheus that wants a bearer token (or basic auth) and the tenant header, as a hosted Mimir would. */
async function startAuthProxy(target: string): Promise<typeof proxy> {
  const seen: string[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? "";
    seen.push(auth);
    const basic = `Basic ${Buffer.from(`reader:${PASSWORD}`).toString("base64")}`;
    if ((auth !== `Bearer ${TOKEN}` && auth !== basic) || req.headers["x-scope-orgid"] !== ORG) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ status: "error", errorType: "unauthorized", error: "no valid credentials" }));
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

/** An HTTPS front of Prometheus with a certificate signed by a CA made here (openssl). */
async function startTlsProxy(target: string): Promise<{ url: string; caFile: string; close(): Promise<void> }> {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=loopscope-test-ca"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"]);
  const upstream = new URL(target);
  const server = https.createServer({ key: fs.readFileSync(path.join(dir, "server.key")), cert: fs.readFileSync(path.join(dir, "server.pem")) }, (req, res) => {
    const forward = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caFile: path.join(dir, "ca.pem"), close: () => new Promise((r) => server.close(() => r())) };
}

let caFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-prom-source-"));
  exporter = await startControllerExporter({ alpha: defaultModel({ depth: 4, reconcileSeconds: 0.05 }), beta: defaultModel({ depth: 9, reconcilesPerSecond: 5, reconcileSeconds: 0.5, errorsPerSecond: 0.5 }) });
  prometheus = await startPrometheusScraping([exporter.target], { job: "operator", scrapeInterval: "1s", labels: { namespace: "team-a", pod: "operator-0" } });
  proxy = await startAuthProxy(prometheus.url);
  const tls = await startTlsProxy(prometheus.url);
  tlsProxy = tls;
  caFile = tls.caFile;
  // Enough history for 10 s windows at 1 s steps.
  await eventually(
    "20 scrapes in Prometheus",
    async () => {
      const data = await promQuery(prometheus.url, 'count_over_time(workqueue_depth{name="alpha"}[1m])', Date.now());
      return Number(data.result[0]?.value?.[1] ?? 0) >= 20;
    },
    90_000,
    500,
  );
}, 150_000);

afterAll(async () => {
  await Promise.all([proxy?.close(), tlsProxy?.close()]);
  await prometheus?.stop();
  await exporter?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the Prometheus data source (real Prometheus, real HTTP)", () => {
  it("discovers both controllers with their job, namespace and pod", async () => {
    const source = new PrometheusDataSource({ settings: settings() });
    try {
      const found = await source.controllers();
      expect(found.map((c) => c.name)).toEqual(["alpha", "beta"]);
      expect(found[0]).toMatchObject({ controller: "alpha", identity: { job: "operator", namespace: "team-a" }, pods: ["operator-0"] });
      expect(source.status()).toMatchObject({ url: prometheus.url, auth: "none", controllers: 2, lastError: null });
      // A name Loopscope's own controllers use is qualified.
      const reserved = new PrometheusDataSource({ settings: settings(), reserved: () => ["alpha"] });
      expect((await reserved.controllers()).map((c) => c.name)).toEqual(["alpha (operator, team-a)", "beta"]);
      await reserved.stop();
    } finally {
      await source.stop();
    }
  });

  it("answers every controller-page query with exactly Prometheus's own values for the same PromQL and steps", async () => {
    const source = new PrometheusDataSource({ settings: settings() });
    try {
      const beta = await source.controller("beta");
      expect(beta).toBeDefined();
      const panels = controllerPanels("beta", { source: "prometheus", queueMatchers: beta?.queueMatchers ?? [], controllerMatchers: beta?.controllerMatchers ?? [] });
      expect(panels.map((p) => p.id)).not.toContain("resources");
      const end = Math.floor(Date.now() / 1000) * 1000 - 2_000;
      const start = end - 30_000;
      const sel = 'job="operator",namespace="team-a"';
      // The PromQL a Grafana user would write for each chart, evaluated by Prometheus at 1 s steps.
      const expected: Record<string, string> = {
        depth: `sum(workqueue_depth{name="beta",${sel}})`,
        "adds/s": `sum(rate(workqueue_adds_total{name="beta",${sel}}[10s]))`,
        p50: `histogram_quantile(0.5, sum by (le) (rate(workqueue_work_duration_seconds_bucket{name="beta",${sel}}[10s])))`,
        p99: `histogram_quantile(0.99, sum by (le) (rate(workqueue_work_duration_seconds_bucket{name="beta",${sel}}[10s])))`,
        active: `sum(controller_runtime_active_workers{controller="beta",${sel}})`,
        max: `max(controller_runtime_max_concurrent_reconciles{controller="beta",${sel}})`,
        result: `sum by (result) (rate(controller_runtime_reconcile_total{controller="beta",${sel}}[10s]))`,
        "retries/s": `sum(rate(workqueue_retries_total{name="beta",${sel}}[10s]))`,
      };
      let compared = 0;
      for (const panel of panels.filter((p) => p.id !== "queue-wait")) {
        for (const q of panel.queries) {
          const promql = expected[q.name];
          if (!promql) continue;
          const query = rangeQuerySchema.parse({ ...q.query, start, end, stepMs: 1_000, maxPoints: 31, windowMs: q.query.fn === "raw" ? undefined : 10_000, downsample: "minmax", maxSeries: 20 });
          const mine = await source.range(query);
          const theirs = await promQueryRange(prometheus.url, promql, start, end, 1_000);
          expect(mine.step).toBe(1_000);
          expect(mine.series.length, `${panel.id} ${q.name}`).toBe(theirs.length);
          for (const s of theirs) {
            const got = mine.series.find((m) => JSON.stringify(m.labels) === JSON.stringify(s.metric));
            const want = s.values.filter(([, v]) => Number.isFinite(Number(v))).map(([t, v]) => [Math.round(t * 1000), Number(v)]);
            expect(got?.points, `${panel.id} ${q.name} ${JSON.stringify(s.metric)}`).toEqual(want);
            compared += want.length;
          }
        }
      }
      expect(compared).toBeGreaterThan(150);
      // beta's reconciles take 0.5 s: every p99 is inside the (0.1, 1] bucket.
      const p99 = await source.range(rangeQuerySchema.parse({ ...panels[3].queries[1].query, start, end, stepMs: 1_000, maxPoints: 31, windowMs: 10_000 }));
      for (const [, v] of p99.series[0].points) expect(v > 0.1 && v <= 1).toBe(true);
    } finally {
      await source.stop();
    }
  });

  it("reads raw values as the raw samples, and long raw ranges as per-step min and max", async () => {
    const source = new PrometheusDataSource({ settings: settings() });
    try {
      const end = Date.now() - 1_000;
      const raw = await source.range(rangeQuerySchema.parse({ metric: "workqueue_depth", matchers: [{ name: "name", op: "=", value: "alpha" }], start: end - 15_000, end, maxPoints: 1_000 }));
      const samples = await promQuery(prometheus.url, 'workqueue_depth{name="alpha"}[15001ms]', end);
      expect(raw.series).toHaveLength(1);
      expect(raw.series[0].labels).toMatchObject({ __name__: "workqueue_depth", name: "alpha", job: "operator", namespace: "team-a", pod: "operator-0" });
      const want = (samples.result[0]?.values ?? []).map(([t, v]) => [Math.round(t * 1000), Number(v)]).filter(([t]) => t >= end - 15_000);
      expect(raw.series[0].points).toEqual(want);
      // Seven hours at a 1 s scrape interval is more than fetching raw samples is worth.
      const long = await source.range(rangeQuerySchema.parse({ metric: "workqueue_depth", matchers: [{ name: "name", op: "=", value: "alpha" }], start: end - 7 * 3_600_000, end, maxPoints: 200 }));
      expect(long.series).toHaveLength(1);
      expect(long.step).toBeGreaterThan(60_000);
      expect(new Set(long.series[0].points.map(([, v]) => v))).toEqual(new Set([4]));
    } finally {
      await source.stop();
    }
  });

  it("speaks the rest of the API: series, labels, label values, instant queries", async () => {
    const source = new PrometheusDataSource({ settings: settings() });
    try {
      const now = Date.now();
      const series = await source.api.series(['workqueue_depth{name="alpha"}'], now - 60_000, now);
      // (Prometheus drops the empty `priority` label at ingestion.)
      expect(series).toEqual([{ __name__: "workqueue_depth", controller: "alpha", instance: exporter.target, job: "operator", name: "alpha", namespace: "team-a", pod: "operator-0" }]);
      expect(await source.api.labels({ match: ["workqueue_depth"] })).toEqual(expect.arrayContaining(["__name__", "controller", "job", "name", "namespace", "pod"]));
      expect(await source.api.labelValues("name", { match: ["workqueue_depth"] })).toEqual(["alpha", "beta"]);
      const instant = await source.api.query('sum by (name) (workqueue_depth{job="operator"})', now);
      expect(instant.resultType).toBe("vector");
      await expect(source.api.labelValues("bad name")).rejects.toThrow(/not a label name/);
    } finally {
      await source.stop();
    }
  });

  it("authenticates with a bearer token file, basic auth and custom headers, and verifies TLS with the configured CA", async () => {
    const tokenFile = path.join(dir, "token");
    const passwordFile = path.join(dir, "password");
    fs.writeFileSync(tokenFile, `${TOKEN}\n`);
    fs.writeFileSync(passwordFile, PASSWORD);
    const bearer = new PrometheusDataSource({ settings: settings({ baseUrl: proxy.url, auth: { kind: "bearer", tokenFile }, headers: { "X-Scope-OrgID": ORG } }) });
    const basic = new PrometheusDataSource({ settings: settings({ baseUrl: proxy.url, auth: { kind: "basic", user: "reader", passwordFile }, headers: { "X-Scope-OrgID": ORG } }) });
    const wrong = new PrometheusDataSource({ settings: settings({ baseUrl: proxy.url, auth: { kind: "bearer", tokenFile: passwordFile }, headers: { "X-Scope-OrgID": ORG } }) });
    const noTenant = new PrometheusDataSource({ settings: settings({ baseUrl: proxy.url, auth: { kind: "bearer", tokenFile } }) });
    const tls = new PrometheusDataSource({ settings: settings({ baseUrl: tlsProxy.url, caFile }) });
    const untrusted = new PrometheusDataSource({ settings: settings({ baseUrl: tlsProxy.url }) });
    try {
      expect((await bearer.controllers()).map((c) => c.name)).toEqual(["alpha", "beta"]);
      expect((await basic.controllers()).map((c) => c.name)).toEqual(["alpha", "beta"]);
      // A rotated token is read again on the next request.
      fs.writeFileSync(tokenFile, "rotated-token");
      await expect(bearer.api.labels()).rejects.toThrow(/401.*no valid credentials/);
      fs.writeFileSync(tokenFile, TOKEN);
      expect((await bearer.api.labels()).length).toBeGreaterThan(0);
      const refused = (await wrong.controllers().catch((e: unknown) => e)) as Error;
      expect(refused).toBeInstanceOf(PrometheusRequestError);
      expect(refused.message).toMatch(/HTTP 401/);
      expect(refused.message).not.toContain(PASSWORD);
      expect(JSON.stringify(wrong.status())).not.toContain(PASSWORD);
      await expect(noTenant.controllers()).rejects.toThrow(/401/);
      expect(proxy.seen).toContain(`Bearer ${TOKEN}`);

      expect((await tls.controllers()).map((c) => c.name)).toEqual(["alpha", "beta"]);
      expect(tls.status().tls).toBe("custom CA");
      await expect(untrusted.controllers()).rejects.toThrow(/cannot reach Prometheus.*(SELF_SIGNED|UNABLE_TO_VERIFY|CERT)/);
    } finally {
      await Promise.all([bearer, basic, wrong, noTenant, tls, untrusted].map((s) => s.stop()));
    }
  });

  it("says what is wrong: refusals, a wrong URL, no server, a slow one, an answer too large", async () => {
    const ok = new PrometheusDataSource({ settings: settings() });
    const notPrometheus = new PrometheusDataSource({ settings: settings({ baseUrl: exporter.url.replace(/\/metrics$/, "") }) });
    const closed = new PrometheusDataSource({ settings: settings({ baseUrl: "http://127.0.0.1:1" }) });
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const slow = new PrometheusDataSource({ settings: settings({ baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 1_000 }) });
    const small = new PrometheusDataSource({ settings: settings({ maxResponseBytes: 2_000 }) });
    try {
      await expect(ok.api.query("sum(", Date.now())).rejects.toThrow(/refused \/api\/v1\/query \(HTTP 400 Bad Request, bad_data\)/);
      await expect(notPrometheus.controllers()).rejects.toThrow(/HTTP 404/);
      await expect(closed.controllers()).rejects.toThrow(/cannot reach Prometheus at http:\/\/127.0.0.1:1 \(ECONNREFUSED\)/);
      expect(closed.status().lastError).toMatch(/ECONNREFUSED/);
      await expect(slow.controllers()).rejects.toThrow(/did not answer \/api\/v1\/series within 1000 ms \(LOOPSCOPE_PROMETHEUS_TIMEOUT\)/);
      const end = Date.now();
      await expect(small.range(rangeQuerySchema.parse({ metric: "workqueue_work_duration_seconds_bucket", start: end - 20_000, end, maxPoints: 21, fn: "rate" }))).rejects.toThrow(
        /larger than 2000 bytes \(LOOPSCOPE_PROMETHEUS_MAX_RESPONSE_BYTES\)/,
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
      await Promise.all([ok, notPrometheus, closed, slow, small].map((s) => s.stop()));
    }
  });
});
