import type { Registry } from "prom-client";
import { metricsRegistry } from "./registry";

const YIELD_AFTER_MS = 4;

/**
 * Renders a registry as Prometheus text, one metric family at a time, giving the event
 * loop back between families once a few milliseconds have passed, so a large
 * exposition never stalls reconciles for its whole render (prom-client's
 * `registry.metrics()` renders everything in one go). The text is prom-client's own.
 */
export async function renderExposition(registry: Registry): Promise<string> {
  const parts: string[] = [];
  let slice = performance.now();
  for (const metric of registry.getMetricsAsArray()) {
    parts.push(await registry.getSingleMetricAsString(metric.name));
    if (performance.now() - slice > YIELD_AFTER_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      slice = performance.now();
    }
  }
  return `${parts.join("\n\n")}\n`;
}

/** The Prometheus text exposition of this process's registry, as a Response. */
export async function metricsResponse(): Promise<Response> {
  const registry = metricsRegistry();
  return new Response(await renderExposition(registry), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
}
