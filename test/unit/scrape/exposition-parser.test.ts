import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError, type ParseOptions, detectFormat, parseExposition } from "../../../server/scrape/exposition-parser";
import type { Labels, MetricFamily, ParsedExposition, Sample } from "../../../server/scrape/metric-family";

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/exposition/${name}`, import.meta.url), "utf8");
}

function family(parsed: ParsedExposition, name: string): MetricFamily {
  const found = parsed.families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no family ${name}`);
  return found;
}

function sample(parsed: ParsedExposition, name: string, labels: Labels): Sample {
  const key = JSON.stringify(Object.entries(labels).sort());
  for (const f of parsed.families) {
    for (const s of f.samples) if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === key) return s;
  }
  throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
}

function value(parsed: ParsedExposition, name: string, labels: Labels = {}): number {
  return sample(parsed, name, labels).value;
}

/** The error a parse throws (fails the test when it does not throw a ParseError). */
function parseError(text: string, options?: ParseOptions): ParseError {
  try {
    parseExposition(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ParseError);
    return error as ParseError;
  }
  throw new Error("expected a ParseError");
}

const WORKQUEUE_12_BUCKETS = ["1e-08", "1e-07", "1e-06", "9.999999999999999e-06", "9.999999999999999e-05", "0.001", "0.01", "0.1", "1.0", "10.0", "100.0", "1000.0", "+Inf"];
const WORKQUEUE_10_BUCKETS = ["1e-08", "1e-07", "1e-06", "9.999999999999999e-06", "9.999999999999999e-05", "0.001", "0.01", "0.1", "1.0", "10.0", "+Inf"];

describe("fixture: a controller-runtime operator's /metrics (client_golang text 0.0.4)", () => {
  const parsed = parseExposition(fixture("controller-runtime-operator.txt"));

  it("reads every family and sample", () => {
    expect(parsed.families).toHaveLength(59);
    expect(parsed.sampleCount).toBe(236);
    expect(parsed.sampleCount).toBe(parsed.families.reduce((n, f) => n + f.samples.length, 0));
  });

  it("reads workqueue metrics in the {name,controller,priority} shape with 12 buckets", () => {
    expect(value(parsed, "workqueue_depth", { controller: "memcached", name: "memcached", priority: "" })).toBe(0);
    expect(value(parsed, "workqueue_depth", { controller: "memcachedbackup", name: "memcachedbackup", priority: "" })).toBe(3);
    expect(value(parsed, "workqueue_adds_total", { controller: "memcached", name: "memcached" })).toBe(451);
    expect(value(parsed, "workqueue_retries_total", { controller: "memcached", name: "memcached" })).toBe(38);
    expect(value(parsed, "workqueue_unfinished_work_seconds", { controller: "memcached", name: "memcached" })).toBe(0.183452211);

    const queue = family(parsed, "workqueue_queue_duration_seconds");
    expect(queue.type).toBe("histogram");
    expect(queue.help).toBe("How long in seconds an item stays in workqueue before being requested");
    const buckets = queue.samples.filter((s) => s.name === "workqueue_queue_duration_seconds_bucket" && s.labels.controller === "memcached");
    expect(buckets.map((s) => s.labels.le)).toEqual(WORKQUEUE_12_BUCKETS);
    expect(buckets.map((s) => s.value)).toEqual([0, 3, 38, 167, 349, 433, 451, 451, 451, 451, 451, 451, 451]);
    expect(buckets[0].labels).toEqual({ controller: "memcached", le: "1e-08", name: "memcached" });
    expect(value(parsed, "workqueue_queue_duration_seconds_sum", { controller: "memcached", name: "memcached" })).toBe(0.08837290400000002);
    expect(value(parsed, "workqueue_queue_duration_seconds_count", { controller: "memcached", name: "memcached" })).toBe(451);
    expect(queue.samples).toHaveLength(2 * 15);
  });

  it("reads the controller_runtime reconcile metrics, including the 40-bucket histogram", () => {
    expect(value(parsed, "controller_runtime_reconcile_total", { controller: "memcached", result: "requeue_after" })).toBe(31);
    expect(value(parsed, "controller_runtime_reconcile_total", { controller: "memcached", result: "success" })).toBe(412);
    expect(value(parsed, "controller_runtime_reconcile_errors_total", { controller: "memcached" })).toBe(7);
    expect(value(parsed, "controller_runtime_terminal_reconcile_errors_total", { controller: "memcached" })).toBe(1);
    expect(value(parsed, "controller_runtime_max_concurrent_reconciles", { controller: "memcached" })).toBe(2);
    expect(value(parsed, "controller_runtime_active_workers", { controller: "memcached" })).toBe(1);
    const time = family(parsed, "controller_runtime_reconcile_time_seconds");
    const buckets = time.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.controller === "memcached");
    expect(buckets).toHaveLength(41);
    expect(buckets.slice(0, 8).map((s) => [s.labels.le, s.value])).toEqual([
      ["0.005", 5],
      ["0.01", 28],
      ["0.025", 126],
      ["0.05", 268],
      ["0.1", 369],
      ["0.15", 409],
      ["0.2", 425],
      ["0.25", 433],
    ]);
    expect(buckets[17].labels.le).toBe("1.0");
    expect(buckets[40]).toEqual({ name: "controller_runtime_reconcile_time_seconds_bucket", labels: { controller: "memcached", le: "+Inf" }, value: 450 });
    expect(value(parsed, "controller_runtime_reconcile_time_seconds_sum", { controller: "memcached" })).toBe(29.821973999999983);
  });

  it("reads go_* and process_* runtime metrics, summaries with canonical quantiles, and huge floats", () => {
    const gc = family(parsed, "go_gc_duration_seconds");
    expect(gc.type).toBe("summary");
    expect(gc.samples.map((s) => [s.name, s.labels.quantile, s.value])).toEqual([
      ["go_gc_duration_seconds", "0.0", 2.4917e-5],
      ["go_gc_duration_seconds", "0.25", 4.0041e-5],
      ["go_gc_duration_seconds", "0.5", 5.6125e-5],
      ["go_gc_duration_seconds", "0.75", 8.5459e-5],
      ["go_gc_duration_seconds", "1.0", 0.000713042],
      ["go_gc_duration_seconds_sum", undefined, 0.011871417],
      ["go_gc_duration_seconds_count", undefined, 149],
    ]);
    expect(value(parsed, "go_gc_gomemlimit_bytes")).toBe(2 ** 63);
    expect(value(parsed, "process_virtual_memory_max_bytes")).toBe(2 ** 64);
    expect(value(parsed, "go_info", { version: "go1.23.6" })).toBe(1);
    expect(value(parsed, "process_start_time_seconds")).toBe(1729400312.87);
    expect(value(parsed, "leader_election_master_status", { name: "86f835c3.cache.example.com" })).toBe(1);
    expect(family(parsed, "go_memstats_alloc_bytes_total").type).toBe("counter");
  });

  it("reads NaN quantiles of an empty summary", () => {
    const backup = family(parsed, "memcached_operator_backup_duration_seconds");
    expect(backup.samples.map((s) => s.value)).toEqual([Number.NaN, Number.NaN, Number.NaN, 0, 0]);
    expect(backup.samples[2].labels).toEqual({ namespace: "cache", quantile: "0.99" });
  });

  it("unescapes label values and HELP text", () => {
    const info = family(parsed, "memcached_operator_last_reconcile_error_info");
    expect(info.help).toBe("The last reconcile error per object (value is always 1). Matches C:\\ paths and lines\nverbatim.");
    expect(info.samples.map((s) => s.labels.error)).toEqual([
      'Operation cannot be fulfilled on memcacheds.cache.example.com "memcached-sample": the object has been modified; please apply your changes to the latest version and try again',
      'admission webhook "vmemcached.kb.io" denied the request:\nspec.size: Invalid value: 9: must be <= 5',
      "open C:\\backups\\memcached.tar: no such file",
    ]);
  });
});

describe("fixture: kube-controller-manager (component-base, {name} workqueues)", () => {
  const parsed = parseExposition(fixture("kube-controller-manager.txt"));

  it("reads every family and sample", () => {
    expect(parsed.families).toHaveLength(53);
    expect(parsed.sampleCount).toBe(432);
  });

  it("reads workqueue metrics in the {name} shape with 10 buckets", () => {
    const queue = family(parsed, "workqueue_queue_duration_seconds");
    expect(queue.help).toBe("[ALPHA] How long in seconds an item stays in workqueue before being requested.");
    const buckets = queue.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.name === "endpoint_slice");
    expect(buckets.map((s) => s.labels.le)).toEqual(WORKQUEUE_10_BUCKETS);
    expect(buckets.map((s) => s.value)).toEqual([0, 0, 2, 65, 677, 2643, 4539, 5089, 5122, 5123, 5123]);
    expect(Object.keys(buckets[0].labels)).toEqual(["le", "name"]);
    expect(value(parsed, "workqueue_queue_duration_seconds_sum", { name: "endpoint_slice" })).toBe(30.982884487000018);
    expect(value(parsed, "workqueue_depth", { name: "replicaset" })).toBe(2);
    expect(value(parsed, "workqueue_adds_total", { name: "endpoint_slice" })).toBe(5124);
    // 10 queues × (11 buckets + sum + count)
    expect(queue.samples).toHaveLength(130);
  });

  it("reads label values with odd characters and empty label values", () => {
    expect(value(parsed, "rest_client_requests_total", { code: "<error>", host: "172.18.0.2:6443", method: "GET" })).toBe(3);
    expect(value(parsed, "registered_metrics_total", { deprecated_version: "", stability_level: "BETA" })).toBe(4);
    expect(sample(parsed, "kubernetes_build_info", {
      build_date: "2024-07-16T23:48:12Z",
      compiler: "gc",
      git_commit: "9c5f1f2e4b5b4d9e8a0f36fa1d22b5b1b2f5f4a1",
      git_tree_state: "clean",
      git_version: "v1.30.3",
      go_version: "go1.22.5",
      major: "1",
      minor: "30",
      platform: "linux/amd64",
    }).value).toBe(1);
    expect(value(parsed, "process_start_time_seconds")).toBe(1721389214.12);
  });
});

describe("fixture: OpenMetrics with exemplars, _created, UNIT and every type", () => {
  const text = fixture("openmetrics-exemplars.txt");
  const parsed = parseExposition(text, { format: "openmetrics" });

  it("is detected as OpenMetrics and reads every family", () => {
    expect(detectFormat(undefined, text)).toBe("openmetrics");
    expect(parsed.families.map((f) => [f.name, f.type])).toEqual([
      ["api_build", "info"],
      ["api_feature_flags", "stateset"],
      ["api_http_request_duration_seconds", "histogram"],
      ["api_http_requests", "counter"],
      ["api_inflight_requests", "gauge"],
      ["api_queue_oldest_item_age_seconds", "gauge"],
      ["api_job_wait_seconds", "gaugehistogram"],
      ["go_gc_duration_seconds", "summary"],
      ["go_goroutines", "gauge"],
      ["process_start_time_seconds", "gauge"],
      ["tenant_quota_bytes", "gauge"],
    ]);
    expect(parsed.sampleCount).toBe(42);
  });

  it("keeps exemplars on their samples, with timestamps in ms", () => {
    const counter = family(parsed, "api_http_requests");
    expect(counter.samples[0]).toEqual({
      name: "api_http_requests_total",
      labels: { code: "200", method: "get" },
      value: 1027,
      exemplar: { labels: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" }, value: 1, timestampMs: 1729401230122 },
    });
    expect(sample(parsed, "api_http_request_duration_seconds_bucket", { handler: "/api/v1/orders", le: "0.05" }).exemplar).toEqual({
      labels: { span_id: "00f067aa0ba902b7", trace_id: "00f067aa0ba902b7a3ce929d0e0e4736" },
      value: 0.043,
      timestampMs: 1729401287118,
    });
    expect(sample(parsed, "api_http_request_duration_seconds_bucket", { handler: "/api/v1/orders", le: "1.0" }).exemplar).toEqual({
      labels: { trace_id: "b9c7c989f97918e1a3ce929d0e0e4736" },
      value: 0.8125,
    });
  });

  it("keeps _created samples by default and drops them on request", () => {
    expect(value(parsed, "api_http_requests_created", { code: "500", method: "post" })).toBe(1729401100.5);
    expect(value(parsed, "api_http_request_duration_seconds_created", { handler: "/api/v1/orders" })).toBe(1729400312.8);
    const lean = parseExposition(text, { format: "openmetrics", keepCreatedSamples: false });
    expect(lean.sampleCount).toBe(39);
    expect(lean.families.flatMap((f) => f.samples).some((s) => s.name.endsWith("_created"))).toBe(false);
  });

  it("reads UNIT, sample timestamps in seconds, info, stateset and gauge histograms", () => {
    expect(family(parsed, "api_http_request_duration_seconds").unit).toBe("seconds");
    expect(family(parsed, "tenant_quota_bytes").unit).toBe("bytes");
    expect(family(parsed, "api_inflight_requests").unit).toBeUndefined();
    expect(sample(parsed, "api_queue_oldest_item_age_seconds", { queue: "emails" })).toEqual({
      name: "api_queue_oldest_item_age_seconds",
      labels: { queue: "emails" },
      value: 12.5,
      timestampMs: 1729401300500,
    });
    expect(value(parsed, "api_queue_oldest_item_age_seconds", { queue: "reports" })).toBe(Number.NEGATIVE_INFINITY);
    expect(value(parsed, "api_build_info", { goversion: "go1.23.6", revision: "3f9c2a1", version: "v2.8.1" })).toBe(1);
    expect(value(parsed, "api_feature_flags", { api_feature_flags: "legacy_auth" })).toBe(0);
    expect(family(parsed, "api_job_wait_seconds").samples.map((s) => [s.name, s.labels.le, s.value])).toEqual([
      ["api_job_wait_seconds_bucket", "1.0", 4],
      ["api_job_wait_seconds_bucket", "10.0", 9],
      ["api_job_wait_seconds_bucket", "+Inf", 11],
      ["api_job_wait_seconds_gcount", undefined, 11],
      ["api_job_wait_seconds_gsum", undefined, 63.4],
    ]);
  });

  it("unescapes \\\" in OpenMetrics HELP and label values, and reads NaN and +Inf", () => {
    const quota = family(parsed, "tenant_quota_bytes");
    expect(quota.help).toBe('Storage quota per tenant; the tenant label carries "quotes", back\\slashes and a line\nbreak.');
    expect(quota.samples.map((s) => [s.labels.tenant, s.value])).toEqual([
      ['acme "prod"', 10737418240],
      ["C:\\tenants\\beta", Number.NaN],
      ["multi\nline", Number.POSITIVE_INFINITY],
    ]);
  });
});

describe("fixture: prom-client (Node) default metrics", () => {
  const parsed = parseExposition(fixture("prom-client-node.txt"));

  it("reads every family with samples and drops the empty ones", () => {
    expect(parsed.sampleCount).toBe(99);
    expect(parsed.families).toHaveLength(33);
    expect(parsed.families.some((f) => f.name === "nodejs_active_handles")).toBe(false);
    expect(value(parsed, "nodejs_active_handles_total")).toBe(0);
  });

  it("sorts labels that prom-client writes with le and quantile first", () => {
    const bucket = sample(parsed, "nodejs_gc_duration_seconds_bucket", { kind: "minor", le: "0.01" });
    expect(Object.keys(bucket.labels)).toEqual(["kind", "le"]);
    expect(bucket.value).toBe(1);
    const routes = family(parsed, "http_request_duration_seconds").samples.filter((s) => s.labels.method === "POST" && s.name.endsWith("_bucket"));
    expect(routes.map((s) => s.labels.le)).toEqual(["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"]);
    expect(routes.map((s) => s.value)).toEqual([0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(Object.keys(routes[0].labels)).toEqual(["le", "method", "route", "status_code"]);
    const quantile = sample(parsed, "job_duration_seconds", { quantile: "0.9", queue: "emails" });
    expect(Object.keys(quantile.labels)).toEqual(["quantile", "queue"]);
    expect(quantile.value).toBe(3.5);
  });

  it("reads exact values, escaped label values and escaped HELP", () => {
    expect(value(parsed, "http_requests_total", { method: "GET", route: '/search?q="a\\b"', status_code: "400" })).toBe(1);
    expect(value(parsed, "nodejs_eventloop_lag_stddev_seconds")).toBe(0.00009054741365125423);
    expect(value(parsed, "nodejs_version_info", { major: "20", minor: "20", patch: "2", version: "v20.20.2" })).toBe(1);
    expect(value(parsed, "http_request_duration_seconds_sum", { method: "GET", route: "/api/items/:id", status_code: "200" })).toBe(2.4650000000000003);
    expect(family(parsed, "app_cache_entries").help).toBe("Entries in the in-memory cache\nper cache name");
    expect(value(parsed, "app_cache_entries", { cache: "users" })).toBe(1523);
  });
});

describe("tricky but valid input", () => {
  it("reads integer millisecond timestamps in the text format, negative ones too", () => {
    const parsed = parseExposition("a 1 1700000000123\nb{x=\"y\"} 2 -5000\n");
    expect(parsed.families.map((f) => f.samples[0])).toEqual([
      { name: "a", labels: {}, value: 1, timestampMs: 1700000000123 },
      { name: "b", labels: { x: "y" }, value: 2, timestampMs: -5000 },
    ]);
  });

  it("accepts every float spelling Go exporters emit", () => {
    const parsed = parseExposition(["a 1e3", "b -0.5", "c .5", "d +Inf", "e -Inf", "f NaN", "g nan", "h Inf", "i 1.5E-7", "j +3"].join("\n"));
    expect(parsed.families.map((f) => f.samples[0].value)).toEqual([1000, -0.5, 0.5, Infinity, -Infinity, Number.NaN, Number.NaN, Infinity, 1.5e-7, 3]);
  });

  it("accepts blanks, tabs, trailing commas, CRLF and comments the way client_golang's parser does", () => {
    const text = "# a comment\r\n# HELP   x   spaced help  \r\n# TYPE x gauge\r\n  x { a = \"1\" ,\tb=\"2\", }\t 7 \r\n\r\n";
    const parsed = parseExposition(text);
    expect(parsed.families).toEqual([{ name: "x", type: "gauge", help: "spaced help  ", samples: [{ name: "x", labels: { a: "1", b: "2" }, value: 7 }] }]);
  });

  it("unescapes \\\\ \\\" \\n in label values and keeps unknown escapes literally", () => {
    const parsed = parseExposition('m{path="C:\\\\dir\\\\f",q="say \\"hi\\"",nl="a\\nb",tab="a\\tb"} 1\n');
    expect(parsed.families[0].samples[0].labels).toEqual({ nl: "a\nb", path: "C:\\dir\\f", q: 'say "hi"', tab: "a\\tb" });
  });

  it("keeps \\\" in 0.0.4 HELP text literally (only \\\\ and \\n are escapes there)", () => {
    const parsed = parseExposition('# HELP m a \\"quoted\\" C:\\\\ line\\nnext\nm 1\n');
    expect(parsed.families[0].help).toBe('a \\"quoted\\" C:\\ line\nnext');
  });

  it("reads label values with raw bytes such as NUL and UTF-8", () => {
    const parsed = parseExposition('node_collector_zone_health{zone="eu-west-1:\u0000:eu-west-1a"} 100\nm{city="Zürich 🏔"} 1\n');
    expect(parsed.families[0].samples[0].labels.zone).toBe("eu-west-1:\u0000:eu-west-1a");
    expect(parsed.families[1].samples[0].labels.city).toBe("Zürich 🏔");
  });

  it("reads quoted UTF-8 metric and label names", () => {
    const parsed = parseExposition('# TYPE "http.server.duration" gauge\n{"http.server.duration","service.name"="api",code="200"} 0.25\n');
    expect(parsed.families).toEqual([
      { name: "http.server.duration", type: "gauge", help: "", samples: [{ name: "http.server.duration", labels: { code: "200", "service.name": "api" }, value: 0.25 }] },
    ]);
  });

  it("gives samples without metadata an untyped family of their own", () => {
    const parsed = parseExposition("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\nloose_sum 3\n");
    expect(parsed.families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ["h", "histogram", 4],
      ["loose_sum", "untyped", 1],
    ]);
  });

  it("groups a 0.0.4 counter named *_total and an OpenMetrics counter named without it alike", () => {
    const text = parseExposition("# TYPE jobs_total counter\njobs_total 4\n");
    const om = parseExposition("# TYPE jobs counter\njobs_total 4\n# EOF\n", { format: "openmetrics" });
    expect(text.families[0].samples).toEqual(om.families[0].samples);
    expect([text.families[0].name, om.families[0].name]).toEqual(["jobs_total", "jobs"]);
  });

  it("keeps le as written when normalisation is off", () => {
    const parsed = parseExposition('# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\n', { normalizeBucketLabels: false });
    expect(parsed.families[0].samples.map((s) => s.labels.le)).toEqual(["1", "+Inf"]);
  });

  it("treats a label named __proto__ as data, not as the object's prototype", () => {
    const labels = parseExposition('m{__proto__="x",a="b"} 1\n').families[0].samples[0].labels;
    expect(Object.keys(labels)).toEqual(["__proto__", "a"]);
    expect(Object.getOwnPropertyDescriptor(labels, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  it("tells distinct series with colliding hashes apart, and still catches a duplicate among them", () => {
    // m{k="83604"} and m{k="1950350"} have the same 32-bit FNV-1a hash in the duplicate check.
    expect(parseExposition('m{k="83604"} 1\nm{k="1950350"} 2\n').sampleCount).toBe(2);
    const one = parseExposition('m{k="83604"} 1\nm{k="1950350"} 2\nm{k="1950350"} 3\n');
    expect([one.sampleCount, one.duplicates, one.families[0].samples.map((s) => s.value)]).toEqual([2, 1, [1, 2]]);
    const other = parseExposition('m{k="83604"} 1\nm{k="1950350"} 2\nm{k="83604"} 3\n');
    expect([other.sampleCount, other.duplicates, other.families[0].samples.map((s) => s.value)]).toEqual([2, 1, [1, 2]]);
  });

  it("drops a repeated series and counts it, keeping the first and every other series (as Prometheus does)", () => {
    const parsed = parseExposition('# TYPE a gauge\na{x="1",y="2"} 1\nb 7\na{y="2",x="1"} 2\na{x="1",y="3"} 3\na{x="1",y="2"} 4 1700000000000\n');
    expect(parsed.duplicates).toBe(1);
    expect(parsed.sampleCount).toBe(4);
    expect(parsed.families.flatMap((f) => f.samples.map((s) => [s.name, s.value]))).toEqual([
      ["a", 1],
      ["a", 3],
      ["a", 4],
      ["b", 7],
    ]);
  });

  it("accepts a family whose metadata block is repeated identically (split families)", () => {
    const parsed = parseExposition("# HELP a Things.\n# TYPE a gauge\na{x=\"1\"} 1\n# HELP a Things.\n# TYPE a gauge\na{x=\"2\"} 2\n");
    expect(parsed.families).toEqual([
      {
        name: "a",
        type: "gauge",
        help: "Things.",
        samples: [
          { name: "a", labels: { x: "1" }, value: 1 },
          { name: "a", labels: { x: "2" }, value: 2 },
        ],
      },
    ]);
  });

  it("allows the same series at different timestamps", () => {
    expect(parseExposition("m 1 1000\nm 2 2000\n").sampleCount).toBe(2);
  });

  it("skips a leading byte-order mark", () => {
    expect(parseExposition("\uFEFF# TYPE a gauge\na 1\n").families[0]).toMatchObject({ name: "a", type: "gauge" });
  });

  it("parses an empty text exposition as no families", () => {
    expect(parseExposition("")).toEqual({ families: [], sampleCount: 0, duplicates: 0 });
    expect(parseExposition("\n\n# just a comment\n")).toEqual({ families: [], sampleCount: 0, duplicates: 0 });
  });

  it("detects the format from the Content-Type, or from # EOF when there is none", () => {
    expect(detectFormat("application/openmetrics-text; version=1.0.0; charset=utf-8", "")).toBe("openmetrics");
    expect(detectFormat("text/plain; version=0.0.4; charset=utf-8", "x 1\n# EOF\n")).toBe("text");
    expect(detectFormat(undefined, "x 1\n# EOF\n")).toBe("openmetrics");
    expect(detectFormat("application/octet-stream", "x 1\n")).toBe("text");
  });
});

describe("invalid input gives a ParseError with the line and a clear message", () => {
  it.each([
    ["<!DOCTYPE html>\n<html></html>", 1, `line 1: expected a metric name or '#', found "<" in "<!DOCTYPE html>"`],
    ["a 1\nb 2\n{} 3\n", 3, "line 3: the label set has no metric name in it"],
    ["a 1\nb two\n", 2, 'line 2: invalid value "two" for b (expected a float, NaN, +Inf or -Inf)'],
    ["a\n", 1, "line 1: missing value for a"],
    ["a 0x10\n", 1, 'line 1: invalid value "0x10" for a (expected a float, NaN, +Inf or -Inf)'],
    ['a{b="c"}1\n', 1, 'line 1: expected a space before the value of a, found "1"'],
    ["a-b 1\n", 1, 'line 1: unexpected "-" after metric name a'],
    ['a{b="c} 1\n', 1, "line 1: unterminated label value (missing closing '\"')"],
    ['a{b="c" 1\n', 1, "line 1: expected ',' or '}' in the label set, found \"1\""],
    ["a{b=c} 1\n", 1, `line 1: expected '"' to start the value of label b, found "c"`],
    ["a{1b=\"c\"} 1\n", 1, 'line 1: expected a label name, found "1"'],
    ['a{b="1",b="2"} 1\n', 1, "line 1: duplicate label b"],
    ["a 1 12.5\n", 1, 'line 1: invalid timestamp "12.5" (expected integer milliseconds since the epoch)'],
    ["a 1 2 3\n", 1, 'line 1: unexpected "3" after the timestamp of a'],
    ['a 1 # {t="x"} 1\n', 1, "line 1: unexpected '#' after the value of a: exemplars are only valid in OpenMetrics"],
    ["# TYPE a gauge\n# TYPE a counter\na 1\n", 2, "line 2: second TYPE line for a says counter, but line 1 said gauge"],
    ["# HELP a x\n# HELP a y\n", 2, "line 2: second HELP line for a with different text"],
    ["a 1\n# TYPE a gauge\n", 2, "line 2: TYPE line for a comes after its samples"],
    ["# TYPE a speedometer\n", 1, 'line 1: unknown metric type "speedometer" for a (expected counter, gauge, histogram, summary or untyped)'],
    ["# TYPE h histogram\nh_bucket 1\n", 2, "line 2: h_bucket has no le label"],
    ['# TYPE h histogram\nh_bucket{le="big"} 1\n', 2, 'line 2: h_bucket has an invalid le label value "big"'],
    ["# TYPE s summary\ns 1\n", 2, "line 2: s has no quantile label"],
    ["# TYPE h histogram\nh 1\n", 2, "line 2: sample h does not fit histogram h (expected h_bucket, h_sum, h_count, h_created)"],
    ["# HELP 9lives x\n", 1, 'line 1: expected a metric name after # HELP, found "9"'],
    ["ok 1\n\u0001\u0002garbage\n", 2, `line 2: expected a metric name or '#', found byte 0x01 in "\\u0001\\u0002garbage"`],
  ])("%j", (text, line, message) => {
    const error = parseError(text);
    expect(error.line).toBe(line);
    expect(error.message).toBe(message);
    expect(error.kind).toBe("syntax");
  });

  it.each([
    ["a 1\n", "line 1: OpenMetrics exposition does not end with '# EOF' (truncated response?)"],
    ["a 1\n# EOF\nb 2\n", "line 3: unexpected content after '# EOF'"],
    ["# random comment\na 1\n# EOF\n", 'line 1: unexpected comment "# random comment": OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF'],
    ["# TYPE a_seconds gauge\n# UNIT a_seconds bytes\na_seconds 1\n# EOF\n", 'line 2: unit "bytes" is not a suffix of the metric name a_seconds'],
    ["a 1 1.5.5\n# EOF\n", 'line 1: invalid timestamp "1.5.5" (expected seconds since the epoch)'],
    ['a_total 1 # {t="x"} nope\n# EOF\n', 'line 1: invalid exemplar value "nope"'],
    ["a 1 # t 1\n# EOF\n", `line 1: expected '{' to start an exemplar, found "t"`],
    ["# EOF trailing\n", "line 1: expected exactly '# EOF'"],
    ["", "line 1: OpenMetrics exposition does not end with '# EOF' (truncated response?)"],
  ])("OpenMetrics %j", (text, message) => {
    expect(parseError(text, { format: "openmetrics" }).message).toBe(message);
  });

  it("stops at the sample limit with a sample-limit error", () => {
    const text = Array.from({ length: 20 }, (_, k) => `m{k="${k}"} ${k}`).join("\n");
    expect(parseExposition(text, { maxSamples: 20 }).sampleCount).toBe(20);
    const error = parseError(text, { maxSamples: 10 });
    expect(error.kind).toBe("sample-limit");
    expect(error.message).toBe("line 11: more than 10 samples, the sample limit");
  });
});
