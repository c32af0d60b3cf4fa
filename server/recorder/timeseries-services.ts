import os from "node:os";
import type { Registry } from "prom-client";
import type { BackgroundService } from "../lifecycle/service-set";
import { metricsRegistry } from "../metrics/registry";
import { sampleLimitsFromConfig } from "../ingest/sample-limits";
import { QueryService } from "../query/query-service";
import type { Services } from "../composition";
import type { WiringContext } from "../services";
import { RetentionJob } from "../store/retention";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../store/timeseries-pool";
import { RemoteWriteReceiver } from "../remote-write/remote-write-receiver";
import { Recorder } from "./recorder";

/**
 * The time-series capability, ready to hand to the ServiceSet: connection pools,
 * the Recorder, the QueryService, the retention job and the remote-write receiver, in start order; the recorder and
 * query slots of `services` are filled while they run. Stopping ends them in reverse, the
 * pools last.
 */
export function timeseriesServices(
  context: WiringContext,
  services: Pick<Services, "recorder" | "query" | "remoteWrite">,
  options: { registry?: Registry } = {},
): BackgroundService[] {
  const { config, databaseUrl } = context;
  const log = context.log;
  const parallelism = Math.max(1, Math.min(4, os.availableParallelism()));
  const writePool = createTimeseriesPool(databaseUrl, { applicationName: "loopscope-recorder", max: 2, log });
  const queryPool = createTimeseriesPool(databaseUrl, { applicationName: "loopscope-query", max: parallelism + 2, settings: QUERY_SESSION_SETTINGS, log });
  const registry = options.registry ?? metricsRegistry();
  const recorder = new Recorder({
    pool: writePool,
    registry,
    intervalMs: config.LOOPSCOPE_SCRAPE_INTERVAL,
    bufferCapacity: config.LOOPSCOPE_BUFFER_SAMPLES,
    limits: sampleLimitsFromConfig(config),
    log,
  });
  // Like Grafana's $__rate_interval: a window should hold at least four scrapes.
  const query = new QueryService({
    pool: queryPool,
    parallelism,
    minWindowMs: Math.max(60_000, 4 * config.LOOPSCOPE_SCRAPE_INTERVAL),
    admission: {
      expensiveCost: config.LOOPSCOPE_QUERY_EXPENSIVE_COST,
      maxRunning: config.LOOPSCOPE_QUERY_EXPENSIVE_CONCURRENCY,
      maxQueued: config.LOOPSCOPE_QUERY_EXPENSIVE_QUEUE,
      perClient: config.LOOPSCOPE_QUERY_EXPENSIVE_PER_CLIENT,
    },
  });
  // Remote write has connections of its own, so a burst of pushes never delays the recorder's writes.
  const remoteWritePool = createTimeseriesPool(databaseUrl, { applicationName: "loopscope-remote-write", max: 3, log });
  const remoteWrite = new RemoteWriteReceiver({
    pool: remoteWritePool,
    limits: sampleLimitsFromConfig(config),
    capacitySamples: config.LOOPSCOPE_REMOTE_WRITE_BUFFER_SAMPLES,
    onRefused: (source, rejection, count) => recorder.refuse(source, rejection, count),
    metricsRegistry: registry,
    log,
  });
  const retention = new RetentionJob({ pool: writePool, retentionMs: config.LOOPSCOPE_RETENTION, log });

  const pools: BackgroundService = {
    name: "timeseries-store",
    async start() {
      services.recorder.provide(recorder);
      services.query.provide(query);
    },
    async stop() {
      services.query.withdraw();
      services.recorder.withdraw();
      await Promise.all([writePool.end(), queryPool.end(), remoteWritePool.end()]);
    },
  };
  const remoteWriteSlot = services.remoteWrite.publisher("remote-write-slot", remoteWrite);
  return [pools, recorder, retention, remoteWrite, remoteWriteSlot];
}
