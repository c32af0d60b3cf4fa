import type pg from "pg";
import { type DatabaseSize, databaseSize } from "../store/retention";
import { PgSampleSource, type SampleSourceOptions } from "./pg-sample-source";
import { type AdmissionLimits, QueryAdmission } from "./query-admission";
import type { QueryLimits } from "./query-cost";
import { type RangeQuery, type RangeResult, runRangeQuery } from "./range-query";
import { compileMatchers, type LabelMatcher } from "./selector";

export interface MetricInfo {
  metric: string;
  type: string;
  help: string;
  series: number;
}

export interface QueryServiceOptions {
  /** Connections for queries; a query fans out over up to `parallelism` of them. */
  pool: pg.Pool;
  parallelism?: number;
  /** Lower bound of the default rate window (default 60 s). */
  minWindowMs?: number;
  /** Cost budget and deadline per query (defaults: DEFAULT_QUERY_LIMITS). */
  limits?: Partial<QueryLimits>;
  /** Places for expensive queries (defaults: DEFAULT_ADMISSION_LIMITS). */
  admission?: Partial<AdmissionLimits>;
  /** Which rollup levels the engine reads (default all), and a hook told where each counter query was read (benchmarks). */
  source?: Pick<SampleSourceOptions, "fiveMinute" | "onCounterLevel">;
}

/**
 * Read access to recorded metrics for the dashboard: range queries (downsampled for
 * charts), and the metric names, label names and label values that pickers offer.
 */
export class QueryService {
  private readonly source: PgSampleSource;
  readonly admission: QueryAdmission;

  constructor(private readonly options: QueryServiceOptions) {
    this.source = new PgSampleSource(options.pool, { ...options.source, parallelism: options.parallelism });
    this.admission = new QueryAdmission(options.admission);
  }

  /**
   * A range query within the cost limits and deadline; `signal` (the request's) cancels it, in
   * Postgres too. With a `client` (a web or API caller), an expensive one runs within the
   * expensive-query places, shared per client; the server's own callers (alerting, overview) are not queued.
   */
  range(query: RangeQuery, options: { signal?: AbortSignal; client?: string } = {}): Promise<RangeResult> {
    const client = options.client;
    return runRangeQuery(this.source, query, {
      minWindowMs: this.options.minWindowMs,
      limits: this.options.limits,
      signal: options.signal,
      admit:
        client === undefined
          ? undefined
          : async (cost, signal) => ({ release: await this.admission.admit(cost, client, signal), expensive: this.admission.isExpensive(cost) }),
    });
  }

  /** Metric names (optionally containing `search`), with type, help and series count. */
  async metrics(search?: string, limit = 1_000): Promise<MetricInfo[]> {
    const { rows } = await this.options.pool.query<{ metric: string; type: string; help: string; series: number }>(
      `SELECT metric, min(type) AS type, max(help) AS help, count(*)::int AS series
       FROM series WHERE $1::text IS NULL OR strpos(lower(metric), lower($1)) > 0
       GROUP BY metric ORDER BY metric LIMIT $2`,
      [search && search.length > 0 ? search : null, limit],
    );
    return rows;
  }

  /** Label names used by a metric's series. */
  async labelNames(metric: string): Promise<string[]> {
    const { rows } = await this.options.pool.query<{ name: string }>(
      "SELECT DISTINCT jsonb_object_keys(labels) AS name FROM series WHERE metric = $1 ORDER BY name",
      [metric],
    );
    return rows.map((r) => r.name);
  }

  /** Values of `label`, over one metric's series (optionally narrowed by matchers) or all series. */
  async labelValues(label: string, options: { metric?: string; matchers?: LabelMatcher[]; limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? 1_000;
    if (options.matchers && options.matchers.length > 0 && options.metric) {
      const matches = compileMatchers(options.matchers);
      const series = await this.source.findSeries([options.metric]);
      const values = new Set<string>();
      for (const s of series) if (matches(s.labels) && s.labels[label] !== undefined) values.add(s.labels[label]);
      return [...values].sort().slice(0, limit);
    }
    const { rows } = await this.options.pool.query<{ value: string }>(
      `SELECT DISTINCT labels->>$1 AS value FROM series
       WHERE labels ? $1 AND ($2::text IS NULL OR metric = $2)
       ORDER BY value LIMIT $3`,
      [label, options.metric ?? null, limit],
    );
    return rows.map((r) => r.value);
  }

  storage(): Promise<DatabaseSize> {
    return databaseSize(this.options.pool);
  }
}

