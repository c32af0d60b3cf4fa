import type { BackgroundService } from "../lifecycle/service-set";
import { QueryCancelledError } from "../query/query-cost";
import type { RangeQuery, RangeResult } from "../query/range-query";
import { PrometheusApi } from "./api";
import { DEPTH_METRIC, discoverControllers, type PrometheusController, RECONCILE_METRIC } from "./controller-discovery";
import { PrometheusHttp, type PrometheusTransport } from "./http-client";
import { runPrometheusRange } from "./prometheus-range";
import { type PrometheusSettings, type PrometheusSettingsView, settingsView } from "./settings";

/** How far back discovery looks for series (a controller gone for longer is not listed). */
export const DISCOVERY_LOOKBACK_MS = 3_600_000;
/** Series read at most by one discovery. */
export const DISCOVERY_SERIES_LIMIT = 50_000;

export interface PrometheusStatus extends PrometheusSettingsView {
  /** Controllers found by the last successful discovery. */
  controllers: number;
  /** Epoch ms of the last successful discovery, or null before the first. */
  discoveredAt: number | null;
  /** The last discovery's or query's failure (cleared by a success). */
  lastError: string | null;
}

export interface PrometheusDataSourceOptions {
  settings: PrometheusSettings;
  /** Names of Loopscope's own controllers: a Prometheus controller of the same name is listed qualified. */
  reserved?: () => readonly string[];
  /** Defaults to HTTP over undici (PrometheusHttp). */
  transport?: PrometheusTransport;
  now?: () => number;
}

/**
 * Controllers and their series in a Prometheus-compatible server (Prometheus, Thanos, Mimir,
 * VictoriaMetrics), read in place: range queries go to its `query_range` (see
 * runPrometheusRange), and the controller list is discovered from its series and reused for
 * `discoveryIntervalMs` (one discovery at a time; on failure the last list is kept and the
 * error reported). Nothing read here is written to Postgres.
 */
export class PrometheusDataSource implements BackgroundService {
  readonly name = "prometheus-source";
  readonly api: PrometheusApi;
  private readonly transport: PrometheusTransport;
  private readonly now: () => number;
  private listed: { at: number; controllers: PrometheusController[]; reserved: string } | undefined;
  private pending: Promise<PrometheusController[]> | undefined;
  private lastError: string | null = null;

  constructor(private readonly options: PrometheusDataSourceOptions) {
    this.transport = options.transport ?? new PrometheusHttp(options.settings);
    this.api = new PrometheusApi(this.transport, { timeoutMs: options.settings.timeoutMs });
    this.now = options.now ?? Date.now;
  }

  get settings(): PrometheusSettings {
    return this.options.settings;
  }

  /** The labels that, with the controller name, identify a controller here. */
  get identityLabels(): readonly string[] {
    return this.options.settings.identityLabels;
  }

  async start(): Promise<void> {
    // A first discovery in the background: the overview is then ready at once, and a wrong URL is logged early.
    void this.controllers().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.transport.close();
  }

  /** A range query over the series there, with this server's scrape interval for windows and raw reads. */
  async range(query: RangeQuery, options: { signal?: AbortSignal } = {}): Promise<RangeResult> {
    const interval = this.options.settings.scrapeIntervalMs;
    try {
      return await runPrometheusRange(this.api, query, { minWindowMs: Math.max(60_000, 4 * interval), scrapeIntervalMs: interval, signal: options.signal });
    } catch (error) {
      if (!(error instanceof QueryCancelledError) && !options.signal?.aborted) this.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  /** The controllers there (cached for the discovery interval; re-read when Loopscope's own controllers change). */
  async controllers(): Promise<PrometheusController[]> {
    const reserved = [...(this.options.reserved?.() ?? [])].sort();
    const reservedKey = JSON.stringify(reserved);
    const now = this.now();
    if (this.listed && this.listed.reserved === reservedKey && now - this.listed.at < this.options.settings.discoveryIntervalMs) return this.listed.controllers;
    this.pending ??= this.discover(reserved, reservedKey).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The controller of that (display) name, if there is one. */
  async controller(name: string): Promise<PrometheusController | undefined> {
    return (await this.controllers()).find((c) => c.name === name);
  }

  private async discover(reserved: string[], reservedKey: string): Promise<PrometheusController[]> {
    const now = this.now();
    try {
      const series = await this.api.series([RECONCILE_METRIC, DEPTH_METRIC], now - DISCOVERY_LOOKBACK_MS, now, { limit: DISCOVERY_SERIES_LIMIT });
      const controllers = discoverControllers(series, { identityLabels: this.options.settings.identityLabels, reserved: new Set(reserved) });
      this.listed = { at: now, controllers, reserved: reservedKey };
      this.lastError = null;
      return controllers;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      if (!this.listed) throw error;
      // The last list stands until the next interval (not re-asked on every request while the server is down).
      this.listed = { ...this.listed, at: now };
      return this.listed.controllers;
    }
  }

  /** Where it reads from and how it is doing; never a credential or a header value. */
  status(): PrometheusStatus {
    return { ...settingsView(this.options.settings), controllers: this.listed?.controllers.length ?? 0, discoveredAt: this.listed?.at ?? null, lastError: this.lastError };
  }
}
