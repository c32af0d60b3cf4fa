import { createAlerting, recordedDataSources } from "./alerting";
import { recordedSeriesFetcher } from "./anomaly/recorded-series";
import { AnomalyService } from "./anomaly/service";
import type { LoopscopeConfig } from "./config";
import { LeakTracker } from "./leaks/leak-tracker";
import { reconcileSettled } from "./leaks/reconcile-settlement";
import { LeaderGate } from "./leader/leader-gate";
import { leaderMetrics } from "./leader/leader-metrics";
import { KubernetesLeaseLock } from "./leader/kubernetes-lease-lock";
import { leaderSettings } from "./leader/settings";
import type { BackgroundService } from "./lifecycle/service-set";
import type { Logger } from "./log";
import { metricsRegistry } from "./metrics/registry";
import { rangeQuerySchema } from "./query/range-query";
import { setSelfLabels } from "./recorder/registry-collector";
import { timeseriesServices } from "./recorder/timeseries-services";
import { createDemoRuntime } from "./runtime/demo/demo-runtime";
import { churnForEventRate } from "./runtime/demo/event-rate";
import { type DetectedCluster, detectKubeConfig } from "./runtime/kubernetes/kubeconfig";
import { createKubernetesRuntime } from "./runtime/kubernetes/kubernetes-runtime";
import type { ControllerRuntime } from "./runtime/runtime";
import { Scraper } from "./scrape/scraper";
import { TargetsService } from "./scrape/targets-service";
import { loadScrapeTargets } from "./scrape/targets-config";
import { outboundPolicyFromConfig } from "./outbound/policy";
import { openSecretBox } from "./secrets";
import { findService, provideService, service } from "./service-registry";
import { prismaClient } from "./store/prisma";

export interface WiringContext {
  config: LoopscopeConfig;
  databaseUrl: string;
  log: Logger;
}

/** The cluster named by the configuration (undefined: demo or none); throws when `kubernetes` has no credentials. */
function detectCluster(context: WiringContext): DetectedCluster | undefined {
  const { config } = context;
  if (config.LOOPSCOPE_SOURCE === "none" || config.LOOPSCOPE_SOURCE === "demo") return undefined;
  const cluster = detectKubeConfig();
  if (config.LOOPSCOPE_SOURCE === "kubernetes" && !cluster) {
    throw new Error("LOOPSCOPE_SOURCE=kubernetes but no kubeconfig (KUBECONFIG, ~/.kube/config) or in-cluster credentials were found.");
  }
  return cluster;
}

/** The controller runtime for the configured source: a real cluster, the demo cluster, or none. */
function createRuntime(context: WiringContext, cluster: DetectedCluster | undefined): ControllerRuntime | undefined {
  const { config, log } = context;
  const settle = { onReconcileSettled: reconcileSettled };
  if (config.LOOPSCOPE_SOURCE === "none") return undefined;
  if (cluster) {
    log.info({ server: cluster.server, context: cluster.context, origin: cluster.origin }, "watching a real cluster (read-only)");
    const { runtime, health } = createKubernetesRuntime({
      kubeConfig: cluster.kubeConfig,
      kinds: config.LOOPSCOPE_WATCH_KINDS,
      namespace: config.LOOPSCOPE_WATCH_NAMESPACE,
      resyncMs: config.LOOPSCOPE_WATCH_RESYNC,
      stallAfterMs: config.LOOPSCOPE_WATCH_STALL_AFTER,
      workers: config.LOOPSCOPE_WORKERS,
      ...settle,
    });
    provideService("clusterHealth", health);
    return runtime;
  }
  log.info({ schedule: config.LOOPSCOPE_DEMO_SCHEDULE, seed: config.LOOPSCOPE_DEMO_SEED }, "no cluster configured: running the demo cluster");
  return createDemoRuntime({
    seed: config.LOOPSCOPE_DEMO_SEED,
    schedule: config.LOOPSCOPE_DEMO_SCHEDULE,
    timeScale: config.LOOPSCOPE_DEMO_TIME_SCALE,
    churn: churnForEventRate(config.LOOPSCOPE_DEMO_EVENT_RATE, config.LOOPSCOPE_DEMO_TIME_SCALE),
    workers: config.LOOPSCOPE_WORKERS,
    ...settle,
  }).runtime;
}

/**
 * The one place where Loopscope's capabilities are wired together, in start order
 * (they are stopped in reverse): leak tracking first so it sees every resource the
 * controllers create; storage before what records into it; the runtime; then the
 * services that read recorded data (anomaly detection, alerting). With leader election
 * on (server/leader), the runtime and everything after it run only in the replica that
 * holds the Lease; leak tracking and the recorder (its samples labelled `replica`) run
 * in every replica.
 */
export async function wireServices(context: WiringContext): Promise<BackgroundService[]> {
  const { config, databaseUrl, log } = context;
  const prisma = prismaClient(databaseUrl);
  const secrets = openSecretBox(config);

  const leaks = new LeakTracker({
    graceMs: config.LOOPSCOPE_LEAK_GRACE,
    stackSampleRate: config.LOOPSCOPE_LEAK_STACK_SAMPLE_RATE,
    maxTracked: config.LOOPSCOPE_LEAK_MAX_TRACKED,
  });
  provideService("leaks", leaks);

  // Decided before anything records, so every in-process sample of a replica carries its identity.
  const cluster = detectCluster(context);
  const election = leaderSettings(config, cluster);
  if (election.enabled) setSelfLabels({ replica: election.identity });
  const timeseries = timeseriesServices(context);
  const configuredTargets = await loadScrapeTargets({ file: config.LOOPSCOPE_TARGETS_FILE, urls: config.LOOPSCOPE_TARGETS });
  const system = findService("system");

  /**
   * The services that must run in one replica at a time: the controller loop, target
   * scrapes, anomaly detection and the alert engine (evaluation, notification,
   * delivery). Built fresh for every leadership term (a stopped controller loop cannot
   * restart) and provided to the registry at once, so a follower's dashboard can
   * still read what they store.
   */
  const leaderOnly = (): BackgroundService[] => {
    const runtime = createRuntime(context, cluster);
    if (system) system.sourceKind = runtime?.source?.kind ?? "none";
    if (runtime) provideService("runtime", runtime);
    const controllers = () => runtime?.controllers().map((c) => c.name) ?? [];

    const targets = new TargetsService({
      prisma,
      secrets,
      log: log.child({ component: "scrape" }),
      record: (source, families, ts) => service("recorder").recordScrape(source, families, ts),
      configured: configuredTargets,
      scraper: new Scraper({ policy: outboundPolicyFromConfig(config) }),
    });
    provideService("targets", targets);

    const range = (query: unknown) => service("query").range(rangeQuerySchema.parse(query));
    const anomaly = new AnomalyService({
      databaseUrl,
      fetchSeries: recordedSeriesFetcher((q) => service("query").range(q), config.LOOPSCOPE_SCRAPE_INTERVAL),
      controllers,
    });
    provideService("anomaly", anomaly);

    const alerting = createAlerting({ config, databaseUrl, log, secrets, sources: recordedDataSources(range, prisma), controllers });
    provideService("alerting", alerting.evaluator);
    provideService("notifier", alerting.notifier);
    return [...(runtime ? [runtime] : []), targets, anomaly, ...alerting.services];
  };

  if (!election.enabled) {
    if (system) system.leadership = () => ({ mode: "disabled", reason: election.reason });
    return [leaks, ...timeseries, ...leaderOnly()];
  }
  const { timings } = election;
  const gate = new LeaderGate({
    election: {
      name: election.name,
      identity: election.identity,
      lock: new KubernetesLeaseLock(election.cluster.kubeConfig, election.namespace, election.name),
      timings,
      metrics: leaderMetrics(metricsRegistry()),
    },
    build: leaderOnly,
    // Stopping must end before another replica may take over: leadership ends at most a
    // retry period after the renew deadline, and the lease lasts longer than that.
    stopBudgetMs: Math.max(1_000, timings.leaseDurationMs - timings.renewDeadlineMs - timings.retryPeriodMs),
    log,
  });
  if (system) system.leadership = () => ({ mode: gate.elector.isLeader ? "leader" : "follower", ...gate.status() });
  log.info({ lease: `${election.namespace}/${election.name}`, identity: election.identity }, "leader election on: leader-only services run while this replica holds the lease");
  return [leaks, ...timeseries, gate];
}
