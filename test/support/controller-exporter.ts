import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback /metrics endpoint that imitates controller-runtime operators: per controller the
 * workqueue_* and controller_runtime_* series with controller-runtime's names, labels and
 * buckets, driven by a small model (reconciles, errors and adds per second, a queue depth, a
 * reconcile time) that a test changes to inject a fault. Counters advance with wall time
 * between scrapes, so Prometheus sees steady rates.
 */
export interface ControllerModel {
  /** Successful reconciles per second. */
  reconcilesPerSecond: number;
  /** Failed reconciles per second (each also a rate-limited retry and an add). */
  errorsPerSecond: number;
  depth: number;
  /** Seconds one reconcile takes (all observations fall in its bucket). */
  reconcileSeconds: number;
  /** Seconds an item waits in the queue. */
  queueSeconds: number;
  activeWorkers: number;
  maxWorkers: number;
}

/** controller-runtime's workqueue duration buckets: ExponentialBuckets(10e-9, 10, 12). */
export const WORKQUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];
/** A subset of controller-runtime's reconcile-time buckets (enough for these models). */
export const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60];

interface Counters {
  success: number;
  errors: number;
  adds: number;
  retries: number;
  /** Observations so far (fractions carried), of work, queue and reconcile histograms. */
  observed: number;
  workSum: number;
  queueSum: number;
  work: number[];
  queue: number[];
  reconcile: number[];
}

function emptyCounters(): Counters {
  return {
    success: 0,
    errors: 0,
    adds: 0,
    retries: 0,
    observed: 0,
    workSum: 0,
    queueSum: 0,
    work: WORKQUEUE_BUCKETS.map(() => 0),
    queue: WORKQUEUE_BUCKETS.map(() => 0),
    reconcile: RECONCILE_BUCKETS.map(() => 0),
  };
}

function le(bound: number): string {
  return Number.isFinite(bound) ? String(bound) : "+Inf";
}

/** Advances one controller's counters by `seconds` of its model. */
export function advance(c: Counters, model: ControllerModel, seconds: number): void {
  const reconciles = (model.reconcilesPerSecond + model.errorsPerSecond) * seconds;
  c.success += model.reconcilesPerSecond * seconds;
  c.errors += model.errorsPerSecond * seconds;
  c.retries += model.errorsPerSecond * seconds;
  c.adds += reconciles;
  c.observed += reconciles;
  c.workSum += reconciles * model.reconcileSeconds;
  c.queueSum += reconciles * model.queueSeconds;
  WORKQUEUE_BUCKETS.forEach((b, i) => {
    if (model.reconcileSeconds <= b) c.work[i] += reconciles;
    if (model.queueSeconds <= b) c.queue[i] += reconciles;
  });
  RECONCILE_BUCKETS.forEach((b, i) => {
    if (model.reconcileSeconds <= b) c.reconcile[i] += reconciles;
  });
}

/** The exposition lines of one controller (OpenMetrics-compatible sample lines, `suffix` appended: a timestamp or nothing). */
export function controllerLines(name: string, model: ControllerModel, c: Counters, suffix = ""): string[] {
  const q = `name="${name}",controller="${name}"`;
  const ctl = `controller="${name}"`;
  const lines = [
    `workqueue_depth{${q},priority=""} ${model.depth}${suffix}`,
    `workqueue_adds_total{${q}} ${c.adds}${suffix}`,
    `workqueue_retries_total{${q}} ${c.retries}${suffix}`,
    `workqueue_unfinished_work_seconds{${q}} 0${suffix}`,
    `workqueue_longest_running_processor_seconds{${q}} 0${suffix}`,
    `controller_runtime_reconcile_total{${ctl},result="success"} ${c.success}${suffix}`,
    `controller_runtime_reconcile_total{${ctl},result="error"} ${c.errors}${suffix}`,
    `controller_runtime_reconcile_total{${ctl},result="requeue"} 0${suffix}`,
    `controller_runtime_reconcile_total{${ctl},result="requeue_after"} 0${suffix}`,
    `controller_runtime_reconcile_errors_total{${ctl}} ${c.errors}${suffix}`,
    `controller_runtime_active_workers{${ctl}} ${model.activeWorkers}${suffix}`,
    `controller_runtime_max_concurrent_reconciles{${ctl}} ${model.maxWorkers}${suffix}`,
  ];
  const histogram = (metric: string, labels: string, bounds: number[], counts: number[], sum: number) => {
    bounds.forEach((b, i) => {
      lines.push(`${metric}_bucket{${labels},le="${le(b)}"} ${counts[i]}${suffix}`);
    });
    lines.push(`${metric}_bucket{${labels},le="+Inf"} ${c.observed}${suffix}`, `${metric}_sum{${labels}} ${sum}${suffix}`, `${metric}_count{${labels}} ${c.observed}${suffix}`);
  };
  histogram("workqueue_work_duration_seconds", q, WORKQUEUE_BUCKETS, c.work, c.workSum);
  histogram("workqueue_queue_duration_seconds", q, WORKQUEUE_BUCKETS, c.queue, c.queueSum);
  histogram("controller_runtime_reconcile_time_seconds", ctl, RECONCILE_BUCKETS, c.reconcile, c.workSum);
  return lines;
}

const TYPES = [
  "# TYPE workqueue_depth gauge",
  "# TYPE workqueue_adds_total counter",
  "# TYPE workqueue_retries_total counter",
  "# TYPE workqueue_unfinished_work_seconds gauge",
  "# TYPE workqueue_longest_running_processor_seconds gauge",
  "# TYPE controller_runtime_reconcile_total counter",
  "# TYPE controller_runtime_reconcile_errors_total counter",
  "# TYPE controller_runtime_active_workers gauge",
  "# TYPE controller_runtime_max_concurrent_reconciles gauge",
  "# TYPE workqueue_work_duration_seconds histogram",
  "# TYPE workqueue_queue_duration_seconds histogram",
  "# TYPE controller_runtime_reconcile_time_seconds histogram",
];

export function defaultModel(overrides: Partial<ControllerModel> = {}): ControllerModel {
  return { reconcilesPerSecond: 2, errorsPerSecond: 0, depth: 3, reconcileSeconds: 0.05, queueSeconds: 0.001, activeWorkers: 1, maxWorkers: 4, ...overrides };
}

export interface ControllerExporter {
  url: string;
  /** host:port, for a scrape config. */
  target: string;
  models: Map<string, ControllerModel>;
  /** Changes a controller's model from now on (e.g. a depth step or an error storm). */
  set(name: string, change: Partial<ControllerModel>): void;
  scrapes(): number;
  close(): Promise<void>;
}

/** Serves /metrics for the given controllers on a free loopback port. */
export async function startControllerExporter(models: Record<string, ControllerModel>, now: () => number = Date.now): Promise<ControllerExporter> {
  const state = new Map(Object.entries(models).map(([name, model]) => [name, { model: { ...model }, counters: emptyCounters() }]));
  let last = now();
  let scrapes = 0;
  const tick = () => {
    const t = now();
    for (const s of state.values()) advance(s.counters, s.model, Math.max(0, t - last) / 1000);
    last = t;
  };
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    tick();
    scrapes += 1;
    const lines = [...TYPES];
    for (const [name, s] of state) lines.push(...controllerLines(name, s.model, s.counters));
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    target: `127.0.0.1:${port}`,
    models: new Map([...state].map(([name, s]) => [name, s.model])),
    set(name, change) {
      const s = state.get(name);
      if (!s) throw new Error(`no controller ${name}`);
      tick();
      Object.assign(s.model, change);
    },
    scrapes: () => scrapes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The same controllers as an OpenMetrics text with timestamps (for `promtool tsdb
 * create-blocks-from openmetrics`): every `intervalMs` from `from` to `to`, with target labels
 * `job` and `instance` (and `extra`) added as a scrape would. `modelAt` may vary the model over time.
 */
export function controllerHistory(
  names: readonly string[],
  from: number,
  to: number,
  intervalMs: number,
  labels: Record<string, string>,
  modelAt: (name: string, t: number) => ControllerModel,
): string {
  const extra = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  const counters = new Map(names.map((n) => [n, emptyCounters()]));
  const out: string[] = [...TYPES];
  for (let t = from; t <= to; t += intervalMs) {
    for (const name of names) {
      const c = counters.get(name) as Counters;
      const model = modelAt(name, t);
      if (t > from) advance(c, model, intervalMs / 1000);
      for (const line of controllerLines(name, model, c, ` ${(t / 1000).toFixed(3)}`)) out.push(line.replace("{", `{${extra},`));
    }
  }
  // OpenMetrics wants a family's samples together (grouped here by family) and names a counter's family without `_total`.
  const family = (line: string) => line.slice(0, line.indexOf("{")).replace(/_(bucket|sum|count|total)$/, "");
  const types = out.filter((l) => l.startsWith("#")).map((l) => (l.endsWith(" counter") ? l.replace(/_total counter$/, " counter") : l));
  const samples = out.filter((l) => !l.startsWith("#"));
  const grouped: string[] = [];
  for (const type of types) {
    const name = type.split(" ")[2];
    grouped.push(type);
    for (const line of samples) if (family(line) === name) grouped.push(line);
  }
  return `${grouped.join("\n")}\n# EOF\n`;
}
