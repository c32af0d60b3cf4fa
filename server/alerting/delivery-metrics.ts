import { Counter, Histogram, type Registry } from "prom-client";
import { metricsRegistry } from "../metrics/registry";

/** Delivery metrics, named like Alertmanager's (loopscope_ prefix). */
export interface DeliveryMetrics {
  notifications: Counter<"channel" | "kind">;
  failed: Counter<"channel" | "kind" | "reason">;
  latency: Histogram<"channel" | "kind">;
}

function counter<T extends string>(registry: Registry, name: string, help: string, labelNames: T[]): Counter<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<T>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** The process's delivery metrics (registered once in the shared registry). */
export function deliveryMetrics(registry: Registry = metricsRegistry()): DeliveryMetrics {
  const latencyName = "loopscope_notification_latency_seconds";
  const latency =
    (registry.getSingleMetric(latencyName) as Histogram<"channel" | "kind"> | undefined) ??
    new Histogram({
      name: latencyName,
      help: "Latency of notification delivery attempts.",
      labelNames: ["channel", "kind"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return {
    notifications: counter(registry, "loopscope_notifications_total", "Notification delivery attempts.", ["channel", "kind"]),
    failed: counter(registry, "loopscope_notifications_failed_total", "Failed notification delivery attempts (reason: retry, failed, dead).", ["channel", "kind", "reason"]),
    latency,
  };
}
