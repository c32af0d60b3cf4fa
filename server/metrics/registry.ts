import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * The one prom-client registry of this process. It lives on globalThis so that the
 * Next.js route bundles and the server that started the services share it.
 */
type Holder = { __loopscopeRegistry?: Registry };

export function metricsRegistry(): Registry {
  const holder = globalThis as Holder;
  if (!holder.__loopscopeRegistry) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    holder.__loopscopeRegistry = registry;
  }
  return holder.__loopscopeRegistry;
}
