import type { Metric, MetricValue, MetricObjectWithValues, Registry } from "prom-client";
import { formatGoFloat } from "../scrape/prometheus-float";
import { metricsRegistry } from "./registry";

const YIELD_AFTER_MS = 4;
/** Families with more series than this are rendered in slices, yielding in between. */
const LARGE_FAMILY = 1_000;

type Value = MetricValue<string> & { metricName?: string; sharedLabels?: Record<string, string | number> };

function escapeString(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label names whose values are floats: written in Go's spelling, as client_golang writes them. */
const FLOAT_LABELS = new Set(["le", "quantile"]);

/**
 * `le="1e-08"`, never prom-client's `le="1e-8"`: bucket bounds and quantiles are written
 * as Go's `strconv.FormatFloat(v, 'g', -1, 64)` (what Go controllers and Loopscope's own
 * store write), so one bucket has one spelling whichever process exposed it.
 */
function labelText(name: string, value: string | number | undefined): string {
  if (typeof value === "number") return `${name}="${FLOAT_LABELS.has(name) ? formatGoFloat(value) : value}"`;
  return `${name}="${typeof value === "string" ? escapeString(value).replace(/"/g, '\\"') : value}"`;
}

/** `{a="x",b="y"}` (own labels first, then the shared ones such as `le`), or "" when there are none. */
function formatLabels(labels: Record<string, string | number | undefined>, shared: Record<string, string | number> | undefined): string {
  let text = "";
  for (const name in labels) {
    if (shared && Object.hasOwn(shared, name)) continue;
    text += text ? `,${labelText(name, labels[name])}` : labelText(name, labels[name]);
  }
  if (shared) for (const name in shared) text += text ? `,${labelText(name, shared[name])}` : labelText(name, shared[name]);
  return text ? `{${text}}` : "";
}

/** prom-client's value spelling (it writes NaN as "Nan"; kept so both renderers agree). */
function valueString(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}

/** Gives the event loop back once a slice has run for a few milliseconds. */
function slicer(): { due(): boolean; pause(): Promise<void> } {
  let slice = performance.now();
  return {
    due: () => performance.now() - slice > YIELD_AFTER_MS,
    pause: async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      slice = performance.now();
    },
  };
}

/**
 * The Prometheus text of a registry in chunks, as prom-client's `registry.metrics()`
 * writes it except that `le`/`quantile` values take Go's spelling (see `labelText`),
 * giving the event loop back every few milliseconds — between families, and inside a
 * family with thousands of series — so a large exposition never stalls reconciles for
 * its whole render. Each chunk is handed on as soon as it is made (see
 * `metricsResponse`), so a 10k-series exposition is never held whole in memory.
 */
export async function* expositionChunks(registry: Registry): AsyncGenerator<string> {
  const slices = slicer();
  let first = true;
  for (const { name } of registry.getMetricsAsArray()) {
    const metric: (Metric & { getForPromString?: () => Promise<MetricObjectWithValues<MetricValue<string>>> }) | undefined = registry.getSingleMetric(name);
    if (!metric) continue;
    const data = metric.getForPromString ? await metric.getForPromString() : await metric.get();
    const separator = first ? "" : "\n\n";
    first = false;
    const family = escapeString(data.name);
    let chunk = `${separator}# HELP ${family} ${escapeString(data.help)}\n# TYPE ${family} ${data.type}`;
    for (let k = 0; k < data.values.length; k += 1) {
      const value = data.values[k] as Value;
      chunk += `\n${value.metricName ?? family}${formatLabels(value.labels ?? {}, value.sharedLabels)} ${valueString(value.value)}`;
      if (data.values.length > LARGE_FAMILY && slices.due()) {
        yield chunk;
        chunk = "";
        await slices.pause();
      }
    }
    yield chunk;
    if (slices.due()) await slices.pause();
  }
  yield "\n";
}

/** The whole exposition as one string (tests, benchmarks); /metrics streams the chunks instead. */
export async function renderExposition(registry: Registry): Promise<string> {
  let text = "";
  for await (const chunk of expositionChunks(registry)) text += chunk;
  return text;
}

/** Whether a request's Accept-Encoding admits gzip (q=0 refuses it). */
export function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding.trim() !== "gzip" && coding.trim() !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The Prometheus text exposition of this process's registry, streamed as a Response;
 * gzip-compressed when the scraper asks for it (Prometheus always does), as
 * client_golang's handler does.
 */
export async function metricsResponse(request?: Request): Promise<Response> {
  const registry = metricsRegistry();
  const chunks = expositionChunks(registry);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  const headers: Record<string, string> = { "content-type": registry.contentType, "cache-control": "no-store", vary: "accept-encoding" };
  if (!acceptsGzip(request?.headers.get("accept-encoding"))) return new Response(body, { headers });
  return new Response(body.pipeThrough(new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>), { headers: { ...headers, "content-encoding": "gzip" } });
}
