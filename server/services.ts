import os from "node:os";
import { createAlerting, recordedDataSources } from "./alerting";
import type { LeaderOnlyService, Services } from "./composition";
import { GoroutineCollector } from "./goroutines/goroutine-collector";
import { recordedSeriesFetcher } from "./anomaly/recorded-series";
import type { FetchSeries } from "./anomaly/service";
import type { WatchedController } from "./anomaly/watched-series";
import { anomalyEvaluationInterval } from "./anomaly/evaluation-interval";
import { AnomalyService } from "./anomaly/service";
import type { LoopscopeConfig } from "./config";
import { LeakTracker } from "./leaks/leak-tracker";
import { contextPropagation, contextPropagationHint } from "./runtime/context";
import { reconcileSettled } from "./leaks/reconcile-settlement";
import { LeaderGate } from "./leader/leader-gate";
import { leaderMetrics } from "./leader/leader-metrics";
import { KubernetesLeaseLock } from "./leader/kubernetes-lease-lock";
import { leaderSettings, leaseTimings, replicaIdentity } from "./leader/settings";
import type { BackgroundService } from "./lifecycle/service-set";
import type { Logger } from "./log";
import { metricsRegistry } from "./metrics/registry";
import { PrometheusDataSource } from "./prometheus/data-source";
import { prometheusSettings, settingsView } from "./prometheus/settings";
import { rangeQuerySchema } from "./query/range-query";
import { routedRange } from "./query/routed-query";
import { setSelfLabels } from "./recorder/registry-collector";
import { SELF_JOB } from "./recorder/sample";
import { timeseriesServices } from "./recorder/timeseries-services";
import { churnForEventRate, createDemoRuntime } from "./demo";
import { type DetectedCluster, detectKubeConfig } from "./runtime/kubernetes/kubeconfig";
import { createKubernetesRuntime } from "./runtime/kubernetes/kubernetes-runtime";
import type { ControllerRuntime } from "./runtime/runtime";
import { ScrapeShards } from "./scrape/scrape-shards";
import { Scraper } from "./scrape/scraper";
import { TargetsService } from "./scrape/targets-service";
import { loadScrapeTargets } from "./scrape/targets-config";
import { outboundPolicyFromConfig } from "./outbound/policy";
import { openSecretBox } from "./secrets";
import { PostgresRevocations } from "./auth/session-revocations";
import { prismaClient } from "./store/prisma";
import { createTimeseriesPool } from "./store/timeseries-pool";

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

type LeaderOnlyInstances = { [K in LeaderOnlyService]: ReturnType<Services[K]["get"]> | undefined };

/** The controller runtime for the configured source: a real cluster, the demo cluster, or none (and the cluster health of a real cluster). */
function createRuntime(
  context: WiringContext,
  cluster: DetectedCluster | undefined,
): { runtime?: ControllerRuntime; clusterHealth?: LeaderOnlyInstances["clusterHealth"] } {
  const { config, log } = context;
  const settle = { onReconcileSettled: reconcileSettled };
  if (config.LOOPSCOPE_SOURCE === "none") return {};
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
    return { runtime, clusterHealth: health };
  }
  log.info({ schedule: config.LOOPSCOPE_DEMO_SCHEDULE, seed: config.LOOPSCOPE_DEMO_SEED }, "no cluster configured: running the demo cluster");
  const demo = createDemoRuntime({
    seed: config.LOOPSCOPE_DEMO_SEED,
    schedule: config.LOOPSCOPE_DEMO_SCHEDULE,
    timeScale: config.LOOPSCOPE_DEMO_TIME_SCALE,
    churn: churnForEventRate(config.LOOPSCOPE_DEMO_EVENT_RATE, config.LOOPSCOPE_DEMO_TIME_SCALE),
    workers: config.LOOPSCOPE_WORKERS,
    ...settle,
  });
  return { runtime: demo.runtime };
}

/** Why a leader-only service is off in this process (no such part configured). */
function offReason(config: LoopscopeConfig, name: "runtime" | "clusterHealth"): string {
  if (name === "runtime") return "LOOPSCOPE_SOURCE=none";
  return config.LOOPSCOPE_SOURCE === "none" ? "LOOPSCOPE_SOURCE=none" : "no real cluster is watched (the demo cluster has no object health)";
}

/** The `instance` of Loopscope's own series: host:port of its public URL, else of its listener (the host name for 0.0.0.0). */
function selfInstance(config: WiringContext["config"]): string {
  if (config.LOOPSCOPE_PUBLIC_URL) return new URL(config.LOOPSCOPE_PUBLIC_URL).host;
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? os.hostname() : config.HOST;
  return `${host.includes(":") ? `[${host}]` : host}:${config.PORT}`;
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
export async function wireServices(context: WiringContext, services: Services): Promise<BackgroundService[]> {
  const { config, databaseUrl, log } = context;
  const prisma = prismaClient(databaseUrl);
  const secrets = openSecretBox(config);
  // Sign-outs in PostgreSQL from now on: every replica refuses a signed-out cookie, also after restarts.
  services.auth.keepSignOutsIn(new PostgresRevocations(prisma, Date.now, 2_000, (error) => log.warn({ err: String(error) }, "could not check a session's sign-out")));

  const contextHint = contextPropagationHint(contextPropagation());
  if (contextHint) log.warn(contextHint);
  const leaks = new LeakTracker({
    graceMs: config.LOOPSCOPE_LEAK_GRACE,
    stackSampleRate: config.LOOPSCOPE_LEAK_STACK_SAMPLE_RATE,
    maxTracked: config.LOOPSCOPE_LEAK_MAX_TRACKED,
  });
  const leakSlot = services.leaks.publisher("leak-tracker-slot", leaks);

  // Decided before anything records, so every in-process sample of a replica carries its identity.
  const cluster = detectCluster(context);
  const election = leaderSettings(config, cluster);
  setSelfLabels({ job: SELF_JOB, instance: selfInstance(config), ...(election.enabled ? { replica: election.identity } : {}) });
  const timeseries = timeseriesServices(context, services);
  const prometheus = prometheusSource(context, services);
  if (config.LOOPSCOPE_ALLOW_PRIVATE_TARGETS) {
    log.warn("LOOPSCOPE_ALLOW_PRIVATE_TARGETS is deprecated (it allows cloud metadata and link-local addresses, not private ones): use LOOPSCOPE_ALLOW_METADATA_TARGETS");
  }
  const configuredTargets = await loadScrapeTargets({ file: config.LOOPSCOPE_TARGETS_FILE, urls: config.LOOPSCOPE_TARGETS });
  const system = services.system;

  const newTargetsService = (sharding?: { shards: ScrapeShards }) =>
    new TargetsService({
      prisma,
      secrets,
      log: log.child({ component: "scrape" }),
      record: (source, families, ts) => services.recorder.get().recordScrape(source, families, ts),
      endSource: (source) => services.recorder.get().endSource(source),
      configured: configuredTargets,
      scraper: new Scraper({ policy: outboundPolicyFromConfig(config), maxSamples: config.LOOPSCOPE_SCRAPE_SAMPLE_LIMIT }),
      policy: outboundPolicyFromConfig(config),
      ...(sharding ? { owns: (id: number) => sharding.shards.owns(id), forgetSource: (source: string) => services.recorder.get().forgetSource(source) } : {}),
    });

  /**
   * Scrape sharding (LOOPSCOPE_SCRAPE_SHARDING=on): target scraping leaves the leader-only
   * set and runs in every replica, each scraping its share of the targets; membership is
   * each replica's own lease in Postgres (server/scrape/scrape-shards.ts).
   */
  const sharded = config.LOOPSCOPE_SCRAPE_SHARDING === "on" ? shardedScraping() : undefined;
  function shardedScraping(): { targets: TargetsService; services: BackgroundService[] } {
    const pool = createTimeseriesPool(databaseUrl, { applicationName: "loopscope-scrape-shards", max: 2, log });
    const identity = election.enabled ? election.identity : replicaIdentity(config);
    let targets: TargetsService | undefined;
    const shards = new ScrapeShards({
      pool,
      group: `${config.LOOPSCOPE_LEASE_NAME}-scrape-shards`,
      identity,
      timings: leaseTimings(config),
      onChange: () => void targets?.reshard(),
      log,
    });
    targets = newTargetsService({ shards });
    const shared = targets;
    system.scrapeShards = () => ({ ...shards.view(), targets: shared.scrapedIds() });
    log.info({ identity, group: `${config.LOOPSCOPE_LEASE_NAME}-scrape-shards` }, "scrape sharding on: this replica scrapes its share of the targets");
    const slot = services.targets.publisher("scrape-slot", shared);
    const pools: BackgroundService = {
      name: "scrape-shards-pool",
      async start() {},
      async stop() {
        await pool.end();
      },
    };
    return { targets: shared, services: [pools, shards, shared, slot] };
  }

  /**
   * The services that must run in one replica at a time: the controller loop, target
   * scrapes, anomaly detection and the alert engine (evaluation, notification,
   * delivery). Built fresh for every leadership term (a stopped controller loop cannot
   * restart). While this replica is a follower their slots hold the built instances, so a
   * follower's dashboard can read and edit what they store, and what needs them running
   * answers "this replica is a follower"; the last service of the set marks them running.
   */
  const leader = () => (election.enabled ? gate.status().holder || undefined : undefined);
  const publish = (instances: LeaderOnlyInstances, state: "running" | "follower" | "stopped") => {
    for (const name of Object.keys(instances) as LeaderOnlyService[]) {
      const slot = services[name] as { provide(v: unknown): void; follow(v: unknown, l: () => string | undefined): void; off(r: string): void; withdraw(): void };
      const value = instances[name];
      if (name === "targets" && sharded) continue; // runs in every replica (its own slot)
      if (value === undefined && (name === "runtime" || name === "clusterHealth")) slot.off(offReason(config, name));
      else if (state === "running") slot.provide(value);
      else if (state === "follower") slot.follow(value, leader);
      else slot.withdraw();
    }
  };
  const leaderOnly = (): BackgroundService[] => {
    const { runtime, clusterHealth } = createRuntime(context, cluster);
    system.sourceKind = runtime?.source?.kind ?? "none";
    const controllers = () => runtime?.controllers().map((c) => c.name) ?? [];

    const targets = sharded?.targets ?? newTargetsService();

    const goroutines = new GoroutineCollector({
      prisma,
      targets: () => targets.pprofTargets(),
      policy: outboundPolicyFromConfig(config),
      intervalMs: config.LOOPSCOPE_GOROUTINE_INTERVAL,
      retentionMs: config.LOOPSCOPE_GOROUTINE_RETENTION,
      blockedMinutes: config.LOOPSCOPE_GOROUTINE_BLOCKED_MINUTES,
      log,
    });

    // Queries go to Loopscope's store or, for series of the Prometheus data source, there.
    const routed = () => routedRange(services.query.find(), services.prometheus.find());
    const range = (q: unknown) => routed().range(rangeQuerySchema.parse(q));
    const localSeries = recordedSeriesFetcher((q) => routed().range(q), config.LOOPSCOPE_SCRAPE_INTERVAL);
    const remoteSeries = prometheus ? recordedSeriesFetcher((q) => routed().range(q), prometheus.settings.scrapeIntervalMs) : localSeries;
    const fetchSeries: FetchSeries = (q, from, to) => (q.source === "prometheus" ? remoteSeries : localSeries)(q, from, to);
    const anomaly = new AnomalyService({
      databaseUrl,
      fetchSeries,
      intervalMs: anomalyEvaluationInterval(config.LOOPSCOPE_SCRAPE_INTERVAL),
      // Loopscope's own controllers, and those of the Prometheus data source (read there).
      controllers: async () => [...controllers(), ...(await watchedInPrometheus(prometheus))],
    });

    // The built-in rules (LeakGrowth among them) once there is something to watch: a built-in
    // controller, or a target with a pprof URL (its go_goroutines and process_open_fds are judged too).
    const watched = async () => [...controllers(), ...(await targets.pprofTargets()).map((t) => t.name)];
    const alerting = createAlerting({ config, databaseUrl, log, secrets, sources: recordedDataSources(range, prisma), controllers: watched });
    const instances: LeaderOnlyInstances = { runtime, clusterHealth, targets, goroutines, anomaly, alerting: alerting.evaluator, notifier: alerting.notifier };
    if (election.enabled) publish(instances, "follower");
    const published: BackgroundService = {
      name: "leader-only-slots",
      async start() {
        publish(instances, "running");
      },
      async stop() {
        publish(instances, election.enabled ? "follower" : "stopped");
      },
    };
    return [...(runtime ? [runtime] : []), ...(sharded ? [] : [targets]), goroutines, anomaly, ...alerting.services, published];
  };

  const remote = prometheus ? [prometheusSlot(services, prometheus)] : [];
  if (!prometheus) services.prometheus.off("LOOPSCOPE_PROMETHEUS_URL is not set");
  else log.info(settingsView(prometheus.settings), "reading controllers from the Prometheus data source");
  if (!election.enabled) {
    system.leadership = () => ({ mode: "disabled", reason: election.reason });
    return [leaks, leakSlot, ...timeseries, ...remote, ...(sharded?.services ?? []), ...leaderOnly()];
  }
  const { timings } = election;
  const gate: LeaderGate = new LeaderGate({
    election: {
      name: election.name,
      identity: election.identity,
      lock: new KubernetesLeaseLock(election.cluster.kubeConfig, election.namespace, election.name),
      timings,
      metrics: leaderMetrics(metricsRegistry()),
      // A previous leader killed with SIGKILL wrote no staleness markers: end its series here.
      onTakeover: (previous, at) => void services.recorder.get().endReplica(previous, election.identity, at),
    },
    build: leaderOnly,
    // Stopping must end before another replica may take over: leadership ends at most a
    // retry period after the renew deadline, and the lease lasts longer than that.
    stopBudgetMs: Math.max(1_000, timings.leaseDurationMs - timings.renewDeadlineMs - timings.retryPeriodMs),
    log,
  });
  system.leadership = () => ({ mode: gate.elector.isLeader ? "leader" : "follower", ...gate.status() });
  log.info({ lease: `${election.namespace}/${election.name}`, identity: election.identity }, "leader election on: leader-only services run while this replica holds the lease");
  return [leaks, leakSlot, ...timeseries, ...remote, ...(sharded?.services ?? []), gate];
}

/**
 * The Prometheus data source of LOOPSCOPE_PROMETHEUS_URL (undefined when unset). It runs in every
 * replica (it only reads); Loopscope's own controllers' names are reserved, so a Prometheus
 * controller of the same name is listed qualified.
 */
function prometheusSource(context: WiringContext, services: Services): PrometheusDataSource | undefined {
  const settings = prometheusSettings(context.config);
  if (!settings) return undefined;
  return new PrometheusDataSource({ settings, reserved: () => services.runtime.find()?.controllers().map((c) => c.name) ?? [] });
}

function prometheusSlot(services: Services, prometheus: PrometheusDataSource): BackgroundService {
  return {
    name: "prometheus-source",
    async start() {
      await prometheus.start();
      services.prometheus.provide(prometheus);
    },
    async stop() {
      services.prometheus.withdraw();
      await prometheus.stop();
    },
  };
}

/** The Prometheus data source's controllers as the anomaly service watches them (none while it cannot be read). */
async function watchedInPrometheus(prometheus: PrometheusDataSource | undefined): Promise<WatchedController[]> {
  if (!prometheus) return [];
  const found = await prometheus.controllers().catch(() => []);
  return found.map((c) => ({ name: c.name, source: "prometheus", queueMatchers: c.queueMatchers, controllerMatchers: c.controllerMatchers }));
}
