import type { AlertEvaluator } from "../alerting/evaluator";
import type { Services } from "../composition";
import type { Notifier } from "../alerting/notifier";
import type { AnomalyService } from "../anomaly/service";
import type { LeakTracker } from "../leaks/leak-tracker";
import type { PrometheusDataSource } from "../prometheus/data-source";
import { type RangeSource, routedRange } from "../query/routed-query";
import type { Recorder } from "../recorder/recorder";
import type { ControllerRuntime } from "../runtime/runtime";

/**
 * What the dashboard views read, passed in explicitly (each may be absent: a follower
 * replica runs no runtime, a process without a database no alerting).
 */
export interface DashboardSources {
  runtime?: Pick<ControllerRuntime, "state" | "controller" | "faults">;
  /** Range queries, routed by their `source` to Loopscope's store or the Prometheus data source. */
  query?: RangeSource;
  /** The Prometheus-compatible data source's controllers, when one is configured. */
  prometheus?: Pick<PrometheusDataSource, "controllers" | "controller" | "identityLabels" | "status">;
  alerting?: Pick<AlertEvaluator, "alerts" | "ruleHealth" | "rules">;
  notifier?: Pick<Notifier, "silences" | "outbox" | "currentMuting" | "channels">;
  anomaly?: Pick<AnomalyService, "openWindows" | "windows" | "band" | "watched">;
  leaks?: Pick<LeakTracker, "suspects">;
  recorder?: Pick<Recorder, "status">;
}

/**
 * The sources of this process's composition root (the tRPC routers' adapter): whatever runs
 * here; stored state (alerts, windows) is read on followers too.
 */
export function dashboardSources(services: Services): DashboardSources {
  const local = services.query.find();
  const prometheus = services.prometheus.find();
  return {
    runtime: services.runtime.find(),
    query: local || prometheus ? routedRange(local, prometheus) : undefined,
    prometheus,
    alerting: services.alerting.findStored(),
    notifier: services.notifier.findStored(),
    anomaly: services.anomaly.findStored(),
    leaks: services.leaks.find(),
    recorder: services.recorder.find(),
  };
}
