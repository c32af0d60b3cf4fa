import type { AlertEvaluator } from "./alerting/evaluator";
import type { Notifier } from "./alerting/notifier";
import type { AnomalyService } from "./anomaly/service";
import type { AuthService } from "./auth/auth-service";
import type { GoroutineCollector } from "./goroutines/goroutine-collector";
import type { LeakTracker } from "./leaks/leak-tracker";
import { ServiceSlot } from "./lifecycle/service-slot";
import type { QueryService } from "./query/query-service";
import type { Recorder } from "./recorder/recorder";
import type { RemoteWriteReceiver } from "./remote-write/remote-write-receiver";
import type { ClusterHealthReconciler } from "./runtime/kubernetes/cluster-health";
import type { PrometheusDataSource } from "./prometheus/data-source";
import type { ControllerRuntime } from "./runtime/runtime";
import type { TargetsService } from "./scrape/targets-service";
import type { SystemState } from "./system/status";

/**
 * The composition root: every service of this process, built once by server/main.ts and
 * handed explicitly to the HTTP routes, the tRPC context and the wiring
 * (server/services.ts), which fills the slots as the services start. Nothing looks
 * services up globally.
 */
export interface Services {
  /** The process's own state (database, leadership, readiness). */
  readonly system: SystemState;
  /** Authentication and authorisation settings of this process. */
  readonly auth: AuthService;
  /** Every replica. */
  readonly leaks: ServiceSlot<LeakTracker>;
  readonly recorder: ServiceSlot<Recorder>;
  readonly query: ServiceSlot<QueryService>;
  /** POST /api/v1/write (every replica). */
  readonly remoteWrite: ServiceSlot<RemoteWriteReceiver>;
  /** The Prometheus-compatible data source (LOOPSCOPE_PROMETHEUS_URL); off when not configured. */
  readonly prometheus: ServiceSlot<PrometheusDataSource>;
  /** Leader-only (followers answer "this replica is a follower"). */
  readonly runtime: ServiceSlot<ControllerRuntime>;
  readonly clusterHealth: ServiceSlot<ClusterHealthReconciler>;
  readonly targets: ServiceSlot<TargetsService>;
  readonly goroutines: ServiceSlot<GoroutineCollector>;
  readonly anomaly: ServiceSlot<AnomalyService>;
  readonly alerting: ServiceSlot<AlertEvaluator>;
  readonly notifier: ServiceSlot<Notifier>;
}

/** The services that run only in the replica holding the Lease. */
export const LEADER_ONLY = ["runtime", "clusterHealth", "targets", "goroutines", "anomaly", "alerting", "notifier"] as const;
export type LeaderOnlyService = (typeof LEADER_ONLY)[number];

/** A composition root with every slot "starting". */
export function createServices(parts: { system: SystemState; auth: AuthService }): Services {
  return {
    system: parts.system,
    auth: parts.auth,
    leaks: new ServiceSlot("leaks", "the leak tracker"),
    recorder: new ServiceSlot("recorder", "the recorder"),
    query: new ServiceSlot("query", "the query service"),
    remoteWrite: new ServiceSlot("remoteWrite", "the remote-write receiver"),
    prometheus: new ServiceSlot("prometheus", "the Prometheus data source"),
    runtime: new ServiceSlot("runtime", "the controller loop"),
    clusterHealth: new ServiceSlot("clusterHealth", "cluster health"),
    targets: new ServiceSlot("targets", "target scraping"),
    goroutines: new ServiceSlot("goroutines", "goroutine collection"),
    anomaly: new ServiceSlot("anomaly", "anomaly detection"),
    alerting: new ServiceSlot("alerting", "alert evaluation"),
    notifier: new ServiceSlot("notifier", "alert notification"),
  };
}

/** Initial process state before the database is decided. */
export function initialSystemState(databaseKind: SystemState["databaseKind"]): SystemState {
  return { startedAt: Date.now(), databaseKind, databaseState: "starting" };
}
