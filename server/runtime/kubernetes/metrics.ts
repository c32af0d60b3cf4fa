import { Counter, Gauge, type Registry } from "prom-client";
import type { KubernetesWatchHealth, RestartCause } from "./kind-watcher";

/**
 * Watch health as Prometheus series, so "a watch is stalled or keeps restarting" can be
 * alerted on like any other signal. Gauges are read from the running sources at scrape
 * time; restarts are counted as they happen.
 */
export interface WatchMetrics {
  /** Reads health from this provider at each scrape until the returned function is called. */
  track(provider: () => KubernetesWatchHealth[]): () => void;
  countRestart(kind: string, cause: RestartCause): void;
}

const instances = new WeakMap<Registry, WatchMetrics>();

function gauge(registry: Registry, name: string, help: string, collect: (g: Gauge<"kind">) => void): void {
  if (registry.getSingleMetric(name)) return;
  new Gauge({
    name,
    help,
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      collect(this);
    },
  });
}

/** The watch metrics of a registry, registered on first use (safe to call repeatedly). */
export function watchMetrics(registry: Registry): WatchMetrics {
  const existing = instances.get(registry);
  if (existing) return existing;
  const providers = new Set<() => KubernetesWatchHealth[]>();
  const each = (fn: (health: KubernetesWatchHealth) => void) => {
    for (const provider of providers) for (const health of provider()) fn(health);
  };
  gauge(registry, "loopscope_watch_connected", "1 when the watch stream of a kind is open.", (g) =>
    each((h) => g.set({ kind: h.kind }, h.connected ? 1 : 0)),
  );
  gauge(registry, "loopscope_watch_stalled", "1 when the watch of a kind was declared stalled and not yet recovered.", (g) =>
    each((h) => g.set({ kind: h.kind }, h.stalled ? 1 : 0)),
  );
  gauge(registry, "loopscope_watch_objects", "Objects of a kind in the informer cache.", (g) =>
    each((h) => g.set({ kind: h.kind }, h.objects)),
  );
  gauge(registry, "loopscope_watch_last_event_timestamp_seconds", "Unix time of the last watch event of a kind.", (g) =>
    each((h) => {
      if (h.lastEventAt !== null) g.set({ kind: h.kind }, h.lastEventAt / 1000);
    }),
  );
  const restarts =
    (registry.getSingleMetric("loopscope_watch_restarts_total") as Counter<"kind" | "cause"> | undefined) ??
    new Counter({
      name: "loopscope_watch_restarts_total",
      help: "Informer restarts of a kind, by cause (error: the watch or list failed; stall: no event or connection for too long).",
      labelNames: ["kind", "cause"],
      registers: [registry],
    });
  const metrics: WatchMetrics = {
    track(provider) {
      providers.add(provider);
      return () => providers.delete(provider);
    },
    countRestart(kind, cause) {
      restarts.inc({ kind, cause });
    },
  };
  instances.set(registry, metrics);
  return metrics;
}
