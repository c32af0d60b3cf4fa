import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import client from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Labels, MetricFamily } from "../../../server/scrape/metric-family";
import { type ScrapeFailure, type ScrapeResult, type ScrapeSuccess, Scraper } from "../../../server/scrape/scraper";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/exposition/${name}`, import.meta.url));
const OPERATOR = fixture("controller-runtime-operator.txt");
const KCM = fixture("kube-controller-manager.txt");
const OPENMETRICS = fixture("openmetrics-exemplars.txt");
const TEXT_004 = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A real loopback HTTP server that records every request it gets. */
class TestTarget {
  readonly requests: http.IncomingMessage[] = [];
  readonly closedEarly: string[] = [];
  private readonly routes = new Map<string, Handler>();
  private server = http.createServer((req, res) => {
    this.requests.push(req);
    res.on("close", () => {
      if (!res.writableFinished) this.closedEarly.push(req.url ?? "");
    });
    const handler = this.routes.get(req.url ?? "");
    if (handler === undefined) {
      res.statusCode = 404;
      res.end("not found");
    } else handler(req, res);
  });
  port = 0;

  route(path: string, handler: Handler): string {
    this.routes.set(path, handler);
    return this.url(path);
  }

  url(path: string, host = "127.0.0.1"): string {
    return `http://${host}:${this.port}${path}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const serve =
  (body: string | Buffer, contentType = TEXT_004, extra: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(200, { "content-type": contentType, ...extra });
    res.end(body);
  };

function succeeded(result: ScrapeResult): ScrapeSuccess {
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result;
}

function failed(result: ScrapeResult): ScrapeFailure {
  if (result.ok) throw new Error("expected the scrape to fail");
  expect(result).not.toHaveProperty("families");
  return result;
}

function sampleValue(families: MetricFamily[], name: string, labels: Labels = {}): number | undefined {
  const key = JSON.stringify(Object.entries(labels).sort());
  for (const family of families) {
    for (const s of family.samples) if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === key) return s.value;
  }
  return undefined;
}

const target = new TestTarget();
const other = new TestTarget();
const scraper = new Scraper();

beforeAll(async () => {
  await target.start();
  await other.start();
});

afterAll(async () => {
  await scraper.close();
  await target.stop();
  await other.stop();
});

describe("scraping a real exporter", () => {
  it("scrapes a controller-runtime operator's /metrics with exact values and the headers Prometheus sends", async () => {
    const url = target.route("/metrics", serve(OPERATOR));
    const result = succeeded(await scraper.scrape({ url, timeoutMs: 2_000 }));
    expect(result.format).toBe("text");
    expect(result.samples).toBe(236);
    expect(result.bodyBytes).toBe(OPERATOR.length);
    expect(result.durationMs).toBeGreaterThan(0);
    const f = result.families;
    expect(sampleValue(f, "workqueue_depth", { controller: "memcachedbackup", name: "memcachedbackup", priority: "" })).toBe(3);
    expect(sampleValue(f, "workqueue_queue_duration_seconds_bucket", { controller: "memcached", name: "memcached", le: "9.999999999999999e-06" })).toBe(167);
    expect(sampleValue(f, "workqueue_queue_duration_seconds_bucket", { controller: "memcached", name: "memcached", le: "1000.0" })).toBe(451);
    expect(sampleValue(f, "controller_runtime_reconcile_total", { controller: "memcached", result: "error" })).toBe(7);
    expect(sampleValue(f, "go_gc_duration_seconds", { quantile: "0.75" })).toBe(8.5459e-5);
    expect(sampleValue(f, "memcached_operator_backup_duration_seconds", { namespace: "cache", quantile: "0.9" })).toBeNaN();
    expect(
      sampleValue(f, "memcached_operator_last_reconcile_error_info", {
        controller: "memcachedbackup",
        error: "open C:\\backups\\memcached.tar: no such file",
        object: "cache/nightly",
      }),
    ).toBe(1);

    const sent = target.requests.at(-1)!.headers;
    expect(sent.accept).toBe(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    );
    expect(sent["accept-encoding"]).toBe("gzip");
    expect(sent["x-prometheus-scrape-timeout-seconds"]).toBe("2");
    expect(sent["user-agent"]).toBe("Loopscope-Scraper/1.0");
    expect(sent.authorization).toBeUndefined();
  });

  it("scrapes a kube-controller-manager's {name}-shaped workqueues with 10 buckets", async () => {
    const url = target.route("/kcm", serve(KCM));
    const result = succeeded(await scraper.scrape({ url, timeoutMs: 2_000 }));
    const buckets = result.families
      .find((f) => f.name === "workqueue_work_duration_seconds")!
      .samples.filter((s) => s.name.endsWith("_bucket") && s.labels.name === "deployment");
    expect(buckets.map((s) => s.labels.le)).toEqual(["1e-08", "1e-07", "1e-06", "9.999999999999999e-06", "9.999999999999999e-05", "0.001", "0.01", "0.1", "1.0", "10.0", "+Inf"]);
    expect(buckets.at(-1)!.value).toBe(2417);
  });

  it("scrapes gzip-compressed OpenMetrics with exemplars, dropping _created samples", async () => {
    const url = target.route("/om", serve(zlib.gzipSync(OPENMETRICS), OPENMETRICS_TYPE, { "content-encoding": "gzip" }));
    const result = succeeded(await scraper.scrape({ url, timeoutMs: 2_000 }));
    expect(result.format).toBe("openmetrics");
    expect(result.bodyBytes).toBe(OPENMETRICS.length);
    expect(result.samples).toBe(39);
    const counter = result.families.find((f) => f.name === "api_http_requests")!;
    expect(counter.samples).toEqual([
      {
        name: "api_http_requests_total",
        labels: { code: "200", method: "get" },
        value: 1027,
        exemplar: { labels: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" }, value: 1, timestampMs: 1729401230122 },
      },
      { name: "api_http_requests_total", labels: { code: "500", method: "post" }, value: 7 },
    ]);
  });

  it("scrapes a live prom-client registry in both formats it serves", async () => {
    const registry = new client.Registry<client.RegistryContentType>();
    const queueDepth = new client.Gauge({ name: "jobs_queue_depth", help: 'Depth of "the" queue\\n', labelNames: ["queue"], registers: [registry] });
    const latency = new client.Histogram({ name: "job_seconds", help: "Job latency", labelNames: ["queue"], buckets: [0.1, 1, 10], registers: [registry] });
    queueDepth.set({ queue: 'mail "urgent"' }, 12);
    latency.observe({ queue: "mail" }, 0.5);
    latency.observe({ queue: "mail" }, 4);
    target.route("/prom-client", async (_req, res) => {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(await registry.metrics());
    });
    const text = succeeded(await scraper.scrape({ url: target.url("/prom-client"), timeoutMs: 2_000 }));
    expect(sampleValue(text.families, "jobs_queue_depth", { queue: 'mail "urgent"' })).toBe(12);
    expect(text.families.find((f) => f.name === "job_seconds")!.samples.map((s) => [s.name, s.labels.le, s.value])).toEqual([
      ["job_seconds_bucket", "0.1", 0],
      ["job_seconds_bucket", "1.0", 1],
      ["job_seconds_bucket", "10.0", 2],
      ["job_seconds_bucket", "+Inf", 2],
      ["job_seconds_sum", undefined, 4.5],
      ["job_seconds_count", undefined, 2],
    ]);

    registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
    const om = succeeded(await scraper.scrape({ url: target.url("/prom-client"), timeoutMs: 2_000 }));
    expect(om.format).toBe("openmetrics");
    expect(om.families.map((f) => [f.name, f.samples.length])).toEqual(text.families.map((f) => [f.name, f.samples.length]));
  });

  it("sends bearer and basic credentials", async () => {
    let seen: string | undefined;
    const url = target.route("/secure", (req, res) => {
      seen = req.headers.authorization;
      serve("up 1\n")(req, res);
    });
    succeeded(await scraper.scrape({ url, timeoutMs: 2_000, auth: { kind: "bearer", token: "t0ken-abc" } }));
    expect(seen).toBe("Bearer t0ken-abc");
    succeeded(await scraper.scrape({ url, timeoutMs: 2_000, auth: { kind: "basic", username: "prom", password: "p@ss:word" } }));
    expect(seen).toBe(`Basic ${Buffer.from("prom:p@ss:word").toString("base64")}`);
  });

  it("follows a redirect within the same host", async () => {
    target.route("/old-metrics", (_req, res) => {
      res.writeHead(301, { location: "/metrics" });
      res.end();
    });
    const result = succeeded(await scraper.scrape({ url: target.url("/old-metrics"), timeoutMs: 2_000, auth: { kind: "bearer", token: "x" } }));
    expect(result.samples).toBe(236);
    expect(target.requests.at(-1)!.headers.authorization).toBe("Bearer x");
  });
});

describe("a failing target gives one clear error and nothing to store", () => {
  it("HTTP 500", async () => {
    const url = target.route("/500", (_req, res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error: database is down\n");
    });
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({ error: "HTTP 500 from target (Internal Server Error)", errorKind: "http", status: 500 });
  });

  it("HTTP 401, with a hint about credentials", async () => {
    const url = target.route("/401", (_req, res) => {
      res.writeHead(401);
      res.end();
    });
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 })).error).toBe("HTTP 401 from target (Unauthorized); check the target's credentials");
  });

  it("a target that never answers times out", async () => {
    const url = target.route("/hang", () => {});
    const result = failed(await scraper.scrape({ url, timeoutMs: 300 }));
    expect(result).toMatchObject({ error: "timed out after 300 ms", errorKind: "timeout" });
    // Node's timers run on a whole-millisecond loop clock: one may fire up to 1 ms early by performance.now().
    expect(result.durationMs).toBeGreaterThanOrEqual(298);
  });

  it("a target that stalls in the middle of the body times out", async () => {
    const url = target.route("/stall", (_req, res) => {
      res.writeHead(200, { "content-type": TEXT_004 });
      res.write(OPERATOR.subarray(0, 5_000));
    });
    expect(failed(await scraper.scrape({ url, timeoutMs: 300 })).error).toBe("timed out after 300 ms");
  });

  it("an oversized body declared by Content-Length is refused without reading it", async () => {
    const url = target.route("/huge-declared", (_req, res) => {
      res.writeHead(200, { "content-type": TEXT_004, "content-length": String(11 * 1024 * 1024) });
      res.write("x 1\n");
    });
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({ error: "response larger than 10 MiB", errorKind: "too-large" });
  });

  it("an endless chunked body is cut off at the size limit", async () => {
    const small = new Scraper({ maxBodyBytes: 1024 * 1024 });
    const line = Buffer.from(`${"padding_metric{k=\"v\"} 1\n".repeat(2_000)}`);
    const url = target.route("/endless", (_req, res) => {
      res.writeHead(200, { "content-type": TEXT_004 });
      const pump = () => {
        while (!res.destroyed && res.write(line)) {}
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    try {
      expect(failed(await small.scrape({ url, timeoutMs: 5_000 }))).toMatchObject({ error: "response larger than 1 MiB", errorKind: "too-large" });
    } finally {
      await small.close();
    }
    await expect.poll(() => target.closedEarly).toContain("/endless");
  });

  it("a gzip bomb is cut off at the size limit after decompression", async () => {
    const small = new Scraper({ maxBodyBytes: 1024 * 1024 });
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, "a"));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const url = target.route("/bomb", serve(bomb, TEXT_004, { "content-encoding": "gzip" }));
    try {
      expect(failed(await small.scrape({ url, timeoutMs: 5_000 })).error).toBe("response larger than 1 MiB");
    } finally {
      await small.close();
    }
  });

  it("malformed text names the line", async () => {
    const url = target.route("/malformed", serve("# TYPE ok gauge\nok 1\nbroken{le=\"1\" 2\n"));
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({
      error: `line 3: expected ',' or '}' in the label set, found "2"`,
      errorKind: "parse",
    });
  });

  it("a body cut short by the exporter is not half-stored", async () => {
    const text = OPENMETRICS.toString().replace("# EOF\n", "");
    const url = target.route("/truncated-om", serve(text, OPENMETRICS_TYPE));
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 })).error).toMatch(/^line \d+: OpenMetrics exposition does not end with '# EOF' \(truncated response\?\)$/);
  });

  it("an HTML page is recognised as not being /metrics", async () => {
    const html = "<!DOCTYPE html><html><body>Login</body></html>";
    const url = target.route("/html", serve(html, "text/html; charset=utf-8"));
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({
      error: "target returned text/html, not a Prometheus exposition (is the URL the /metrics endpoint?)",
      errorKind: "content-type",
    });
    const disguised = target.route("/html-as-text", serve(html, "text/plain"));
    expect(failed(await scraper.scrape({ url: disguised, timeoutMs: 2_000 })).error).toBe(`line 1: expected a metric name or '#', found "<" in "<!DOCTYPE html><html><body>Login</body></html>"`);
  });

  it("random bytes are rejected as not UTF-8", async () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, k) => (k * 7919 + 13) % 256));
    const url = target.route("/random", serve(bytes, "application/octet-stream"));
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({
      error: "response is not valid UTF-8 text (is the URL a Prometheus /metrics endpoint?)",
      errorKind: "encoding",
    });
  });

  it("too many samples hit the sample limit", async () => {
    const limited = new Scraper({ maxSamples: 100 });
    const url = target.route("/many", serve(OPERATOR));
    try {
      expect(failed(await limited.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({ errorKind: "sample-limit", error: expect.stringMatching(/^line \d+: more than 100 samples, the sample limit$/) });
    } finally {
      await limited.close();
    }
  });

  it("a URL that is not http(s), or carries credentials, is refused before any request", async () => {
    expect(failed(await scraper.scrape({ url: "file:///etc/passwd", timeoutMs: 2_000 }))).toMatchObject({ error: "the target URL is not an http or https URL", errorKind: "refused" });
    const before = target.requests.length;
    expect(failed(await scraper.scrape({ url: target.url("/metrics").replace("http://", "http://user:hunter2@"), timeoutMs: 2_000 })).error).toBe(
      "the target URL contains credentials; give them as basic or bearer auth instead",
    );
    expect(target.requests.length).toBe(before);
  });

  it("a closed port is a connection error", async () => {
    const closed = new TestTarget();
    await closed.start();
    const url = closed.url("/metrics");
    await closed.stop();
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({ error: `connection refused (127.0.0.1:${new URL(url).port})`, errorKind: "network" });
  });

  it("a cancelled scrape says so", async () => {
    const url = target.route("/hang-cancel", () => {});
    const controller = new AbortController();
    const pending = scraper.scrape({ url, timeoutMs: 5_000 }, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(failed(await pending)).toMatchObject({ error: "scrape cancelled", errorKind: "cancelled" });
  });
});

describe("outbound policy", () => {
  it("refuses a redirect to another host, without contacting it", async () => {
    const url = target.route("/redirect-away", (_req, res) => {
      res.writeHead(302, { location: other.url("/metrics", "localhost") });
      res.end();
    });
    const before = other.requests.length;
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000, auth: { kind: "bearer", token: "secret" } }))).toMatchObject({
      error: `target redirected to another host (localhost:${other.port}); only redirects within 127.0.0.1 are followed`,
      errorKind: "redirect",
    });
    expect(other.requests.length).toBe(before);
  });

  it("refuses a redirect to the cloud metadata service", async () => {
    const url = target.route("/redirect-metadata", (_req, res) => {
      res.writeHead(307, { location: "http://169.254.169.254/latest/meta-data/iam/security-credentials/" });
      res.end();
    });
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 })).errorKind).toBe("redirect");
  });

  it("stops after a few redirects", async () => {
    const url = target.route("/loop", (_req, res) => {
      res.writeHead(302, { location: "/loop" });
      res.end();
    });
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 })).error).toBe("too many redirects (more than 3)");
  });

  it.each([
    ["http://169.254.169.254/latest/meta-data/", "refused to connect to 169.254.169.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it"],
    ["http://169.254.10.20:9100/metrics", "refused to connect to 169.254.10.20: it is a link-local address; set LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS=true to allow it"],
    ["http://[fe80::1]:9100/metrics", "refused to connect to fe80::1: it is a link-local address; set LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS=true to allow it"],
    ["http://[fd00:ec2::254]/latest/meta-data/", "refused to connect to fd00:ec2::254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it"],
    ["http://metadata.google.internal/computeMetadata/v1/", "refused to connect to metadata.google.internal: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it"],
    ["http://2852039166/latest/meta-data/", "refused to connect to 169.254.169.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it"],
  ])("refuses %s", async (url, error) => {
    expect(failed(await scraper.scrape({ url, timeoutMs: 2_000 }))).toMatchObject({ error, errorKind: "refused" });
  });

  it("refuses a name that resolves to a link-local address, at connect time", async () => {
    const resolving = new Scraper({
      resolve: async (host) => (host === "rebound.test" ? [{ address: "169.254.169.254", family: 4 }] : [{ address: "127.0.0.1", family: 4 }]),
    });
    target.route("/named", serve("up 1\n"));
    try {
      expect(failed(await resolving.scrape({ url: `http://rebound.test:${target.port}/named`, timeoutMs: 2_000 }))).toMatchObject({
        error: "rebound.test resolves to 169.254.169.254; refused to connect to 169.254.169.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it",
        errorKind: "refused",
      });
      expect(succeeded(await resolving.scrape({ url: `http://app.test:${target.port}/named`, timeoutMs: 2_000 })).samples).toBe(1);
    } finally {
      await resolving.close();
    }
  });

  it("allows link-local targets only when the policy says so", async () => {
    const permissive = new Scraper({
      policy: { allowLinkLocal: true, allowMetadata: false, allowPrivate: true, allowLoopback: true },
      resolve: async () => [{ address: "169.254.10.20", family: 4 }],
    });
    try {
      // Allowed by the policy, so the scraper really tries to connect (and fails or times out: nothing listens there).
      const result = failed(await permissive.scrape({ url: "http://node-local.test:9/metrics", timeoutMs: 300 }));
      expect(result.errorKind).not.toBe("refused");
    } finally {
      await permissive.close();
    }
  });
});
