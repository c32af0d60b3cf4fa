import os from "node:os";
import type { Registry } from "prom-client";
import type { BackgroundService } from "../lifecycle/service-set";
import { metricsRegistry } from "../metrics/registry";
import { QueryService } from "../query/query-service";
import { provideService, withdrawService } from "../service-registry";
import type { WiringContext } from "../services";
import { RetentionJob } from "../store/retention";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../store/timeseries-pool";
import { Recorder } from "./recorder";

/**
 * The time-series capability, ready to hand to the ServiceSet: connection pools,
 * the Recorder (service "recorder"), the QueryService (service "query") and the
 * retention job, in start order. Stopping ends them in reverse, the pools last.
 */
export function timeseriesServices(context: WiringContext, options: { registry?: Registry } = {}): BackgroundService[] {
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
    log,
  });
  // Like Grafana's $__rate_interval: a window should hold at least four scrapes.
  const query = new QueryService({ pool: queryPool, parallelism, minWindowMs: Math.max(60_000, 4 * config.LOOPSCOPE_SCRAPE_INTERVAL) });
  const retention = new RetentionJob({ pool: writePool, retentionMs: config.LOOPSCOPE_RETENTION, log });

  const pools: BackgroundService = {
    name: "timeseries-store",
    async start() {
      provideService("recorder", recorder);
      provideService("query", query);
    },
    async stop() {
      withdrawService("query");
      withdrawService("recorder");
      await Promise.all([writePool.end(), queryPool.end()]);
    },
  };
  return [pools, recorder, retention];
}
