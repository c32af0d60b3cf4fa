import type { RangeQuery, RangeResult } from "./range-query";

export interface RangeOptions {
  signal?: AbortSignal;
  /** The web or API caller (expensive local queries are admitted per client). */
  client?: string;
}

/** Anything that answers range queries: the local QueryService, the Prometheus data source. */
export interface RangeSource {
  range(query: RangeQuery, options?: RangeOptions): Promise<RangeResult>;
}

/** A query for a source this process does not have. */
export class QuerySourceUnavailableError extends Error {
  override readonly name = "QuerySourceUnavailableError";
}

/**
 * One `range` over both sources, by the query's `source`: `prometheus` goes to the Prometheus
 * data source, anything else to Loopscope's own store. Either may be absent (no database yet,
 * LOOPSCOPE_PROMETHEUS_URL unset): its queries are refused with a message saying which.
 */
export function routedRange(local: RangeSource | undefined, prometheus: RangeSource | undefined): RangeSource {
  return {
    range(query, options) {
      if (query.source === "prometheus") {
        if (!prometheus) return Promise.reject(new QuerySourceUnavailableError("this query reads the Prometheus data source, but none is configured (LOOPSCOPE_PROMETHEUS_URL is not set)"));
        return prometheus.range(query, options);
      }
      if (!local) return Promise.reject(new QuerySourceUnavailableError("the query service is not running (the database is not ready yet)"));
      return local.range(query, options);
    },
  };
}
