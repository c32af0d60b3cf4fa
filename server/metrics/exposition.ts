import { metricsRegistry } from "./registry";

/** The Prometheus text exposition of this process's registry, as a Response. */
export async function metricsResponse(): Promise<Response> {
  const registry = metricsRegistry();
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
}
