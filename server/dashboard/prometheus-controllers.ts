import { controllerKey, type PrometheusController } from "../prometheus/controller-discovery";
import { endAnchoredRange } from "../query/range-plan";
import type { RangeQuery, RangeResult } from "../query/range-query";
import type { DashboardSources } from "./sources";

type Points = [number, number][];

/** What the overview shows of one controller in the Prometheus data source. */
export interface PrometheusControllerCard {
  controller: PrometheusController;
  depthPoints: Points;
  reconcileP99Points: Points;
  workersBusy: number | null;
  workersMax: number | null;
}

export interface PrometheusCards {
  cards: PrometheusControllerCard[];
  /** Why the list or its charts are incomplete (the server is down, a query failed). */
  problems: string[];
}

type Shape = Omit<RangeQuery, "start" | "end" | "maxPoints" | "downsample" | "maxSeries" | "aggregate" | "source">;

/**
 * The overview's figures of every controller in the Prometheus data source, in four queries
 * whatever their number (queue depth and reconcile p99 over the range, busy and max workers at
 * its end), each aggregated by the identity labels and the controller's label, and tied back
 * to the controllers by those labels.
 */
export async function prometheusControllerCards(sources: DashboardSources, input: { from: number; to: number; points?: number }): Promise<PrometheusCards> {
  const problems: string[] = [];
  const prometheus = sources.prometheus;
  const query = sources.query;
  if (!prometheus || !query) return { cards: [], problems };
  const own = new Set(sources.runtime?.state({ limit: 1 }).controllers.map((c) => c.name) ?? []);
  let controllers: PrometheusController[];
  try {
    controllers = (await prometheus.controllers()).filter((c) => !own.has(c.name));
  } catch (error) {
    return { cards: [], problems: [`Prometheus data source: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (controllers.length === 0) return { cards: [], problems };
  const identity = [...prometheus.identityLabels];
  const start = Math.floor(input.from);
  const end = Math.floor(input.to);
  const run = (shape: Shape, label: "name" | "controller", range: { start: number; end: number; maxPoints: number }): Promise<Map<string, Points>> =>
    query
      .range({ ...shape, ...range, source: "prometheus", aggregate: { op: "sum", by: [...identity, label] }, downsample: "minmax", maxSeries: 1_000 })
      .then((result: RangeResult) => {
        const out = new Map<string, Points>();
        for (const s of result.series) {
          const controller = s.labels[label];
          if (controller) out.set(controllerKey(controller, s.labels, identity), s.points as Points);
        }
        return out;
      })
      .catch((error: unknown) => {
        problems.push(`Prometheus data source: ${error instanceof Error ? error.message : String(error)}`);
        return new Map<string, Points>();
      });
  const chart = { ...endAnchoredRange({ start, end, maxPoints: input.points ?? 60 }), maxPoints: input.points ?? 60 };
  const last = { start: end, end, maxPoints: 2 };
  const present = { matchers: [{ name: "name", op: "!=" as const, value: "" }] };
  const [depth, p99, busy, max] = await Promise.all([
    run({ metric: "workqueue_depth", ...present, fn: "raw" }, "name", chart),
    run({ metric: "workqueue_work_duration_seconds", ...present, fn: "histogram_quantile", quantile: 0.99 }, "name", chart),
    run({ metric: "controller_runtime_active_workers", matchers: [{ name: "controller", op: "!=", value: "" }], fn: "raw" }, "controller", last),
    run({ metric: "controller_runtime_max_concurrent_reconciles", matchers: [{ name: "controller", op: "!=", value: "" }], fn: "raw" }, "controller", last),
  ]);
  const lastValue = (points: Points | undefined) => (points && points.length > 0 ? points[points.length - 1][1] : null);
  const cards = controllers.map((c) => {
    const key = controllerKey(c.controller, c.identity, identity);
    return { controller: c, depthPoints: depth.get(key) ?? [], reconcileP99Points: p99.get(key) ?? [], workersBusy: lastValue(busy.get(key)), workersMax: lastValue(max.get(key)) };
  });
  return { cards, problems: [...new Set(problems)] };
}
