import type { Metric, MetricObjectWithValues, MetricValue, Registry } from "prom-client";
import { metricsRegistry } from "./registry";

const YIELD_AFTER_MS = 4;
/** Families with more series than this are rendered in slices, yielding in between. */
const LARGE_FAMILY = 1_000;

type Value = MetricValue<string> & { metricName?: string; sharedLabels?: Record<string, string | number> };

function escapeString(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatLabels(labels: Record<string, string | number | undefined>, exclude?: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (exclude && Object.hasOwn(exclude, name)) continue;
    out.push(`${name}="${typeof value === "string" ? escapeString(value).replace(/"/g, '\\"') : value}"`);
  }
  return out;
}

/** prom-client's value spelling (it writes NaN as "Nan"; kept so both renderers agree). */
function valueString(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}

/** One family's text exactly as prom-client writes it, in slices so no slice blocks for long. */
async function renderLargeFamily(data: MetricObjectWithValues<MetricValue<string>>, pause: () => Promise<void>): Promise<string> {
  const name = escapeString(data.name);
  const lines = [`# HELP ${name} ${escapeString(data.help)}`, `# TYPE ${name} ${data.type}`];
  for (const raw of data.values) {
    const value = raw as Value;
    const shared = value.sharedLabels ?? {};
    const parts = [...formatLabels(value.labels ?? {}, shared), formatLabels(shared).join(",")].filter(Boolean);
    lines.push(`${value.metricName ?? name}${parts.length ? `{${parts.join(",")}}` : ""} ${valueString(value.value)}`);
    await pause();
  }
  return lines.join("\n");
}

/**
 * Renders a registry as Prometheus text, giving the event loop back every few
 * milliseconds — between families, and inside a family with thousands of series — so a
 * large exposition never stalls reconciles for its whole render (prom-client's
 * `registry.metrics()` renders everything in one go). The text is the same as prom-client's.
 */
export async function renderExposition(registry: Registry): Promise<string> {
  let slice = performance.now();
  const pause = async () => {
    if (performance.now() - slice <= YIELD_AFTER_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    slice = performance.now();
  };
  const parts: string[] = [];
  for (const { name } of registry.getMetricsAsArray()) {
    const metric: Metric | undefined = registry.getSingleMetric(name);
    if (!metric) continue;
    const data = await metric.get();
    parts.push(data.values.length > LARGE_FAMILY ? await renderLargeFamily(data, pause) : await registry.getSingleMetricAsString(data.name));
    await pause();
  }
  return `${parts.join("\n\n")}\n`;
}

/** The Prometheus text exposition of this process's registry, as a Response. */
export async function metricsResponse(): Promise<Response> {
  const registry = metricsRegistry();
  return new Response(await renderExposition(registry), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
}
