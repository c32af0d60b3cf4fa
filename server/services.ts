import { createAlerting, recordedDataSources } from "./alerting";
import { recordedSeriesFetcher } from "./anomaly/recorded-series";
import { AnomalyService } from "./anomaly/service";
import type { LoopscopeConfig } from "./config";
import { LeakTracker } from "./leaks/leak-tracker";
import { reconcileSettled } from "./leaks/reconcile-settlement";
import type { BackgroundService } from "./lifecycle/service-set";
import type { Logger } from "./log";
import { rangeQuerySchema } from "./query/range-query";
import { timeseriesServices } from "./recorder/timeseries-services";
import { createDemoRuntime } from "./runtime/demo/demo-runtime";
import { detectKubeConfig } from "./runtime/kubernetes/kubeconfig";
import { createKubernetesRuntime } from "./runtime/kubernetes/kubernetes-runtime";
import type { ControllerRuntime } from "./runtime/runtime";
import { TargetsService } from "./scrape/targets-service";
import { loadScrapeTargets } from "./scrape/targets-config";
import { openSecretBox } from "./secrets";
import { findService, provideService, service } from "./service-registry";
import { prismaClient } from "./store/prisma";

export interface WiringContext {
  config: LoopscopeConfig;
  databaseUrl: string;
  log: Logger;
}

/** The controller runtime for the configured source: a real cluster, the demo cluster, or none. */
function createRuntime(context: WiringContext): ControllerRuntime | undefined {
  const { config, log } = context;
  const settle = { onReconcileSettled: reconcileSettled };
  if (config.LOOPSCOPE_SOURCE === "none") return undefined;
  const cluster = config.LOOPSCOPE_SOURCE === "demo" ? undefined : detectKubeConfig();
  if (config.LOOPSCOPE_SOURCE === "kubernetes" && !cluster) {
    throw new Error("LOOPSCOPE_SOURCE=kubernetes but no kubeconfig (KUBECONFIG, ~/.kube/config) or in-cluster credentials were found.");
  }
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
    workers: config.LOOPSCOPE_WORKERS,
    ...settle,
  }).runtime;
}

/**
 * The one place where Loopscope's capabilities are wired together, in start order
 * (they are stopped in reverse): leak tracking first so it sees every resource the
 * controllers create; storage before what records into it; the runtime; then the
 * services that read recorded data (anomaly detection, alerting).
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

  const runtime = createRuntime(context);
  const system = findService("system");
  if (system) system.sourceKind = runtime?.source?.kind ?? "none";
  if (runtime) provideService("runtime", runtime);
  const controllers = () => runtime?.controllers().map((c) => c.name) ?? [];

  const timeseries = timeseriesServices(context);
  const targets = new TargetsService({
    prisma,
    secrets,
    log: log.child({ component: "scrape" }),
    record: (source, families, ts) => service("recorder").recordScrape(source, families, ts),
    configured: await loadScrapeTargets({ file: config.LOOPSCOPE_TARGETS_FILE, urls: config.LOOPSCOPE_TARGETS }),
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

  return [leaks, ...timeseries, ...(runtime ? [runtime] : []), targets, anomaly, ...alerting.services];
}
