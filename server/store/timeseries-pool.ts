import pg from "pg";
import { log as rootLog, type Logger } from "../log";

export interface TimeseriesPoolOptions {
  /** Connections at most (writes use one at a time; queries fan out over several). */
  max?: number;
  /** Shown in pg_stat_activity, so operators (and tests) can tell the connections apart. */
  applicationName: string;
  connectionTimeoutMs?: number;
  /** Session settings (`SET name = value`) for every connection, e.g. work_mem for queries. */
  settings?: Record<string, string>;
  log?: Logger;
}

/**
 * Settings for query connections. Bucket queries read each bucket with a primary-key
 * index scan, whose (series_id, ts) order lets Postgres aggregate per series without
 * sorting; a bitmap scan would lose that order and add a sort per bucket, so it is
 * off. No Postgres-side parallelism or JIT: queries are already fanned out over
 * several connections and are short.
 */
export const QUERY_SESSION_SETTINGS: Record<string, string> = {
  enable_bitmapscan: "off",
  work_mem: "16MB",
  max_parallel_workers_per_gather: "0",
  jit: "off",
};

/**
 * A pg connection pool for the time-series store. An idle connection that the server
 * drops (restart, pg_terminate_backend) is logged and discarded instead of crashing
 * the process; the next checkout opens a fresh one.
 */
export function createTimeseriesPool(databaseUrl: string, options: TimeseriesPoolOptions): pg.Pool {
  const log = options.log ?? rootLog;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 2,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    options: options.settings
      ? Object.entries(options.settings)
          .map(([name, value]) => `-c ${name}=${value}`)
          .join(" ")
      : undefined,
  });
  pool.on("error", (error) => {
    log.warn({ err: error.message, pool: options.applicationName }, "idle database connection lost");
  });
  // A checked-out client has no pool listener: a connection killed between two queries of a
  // transaction would emit an unhandled 'error'. The next query on it fails and is retried.
  pool.on("connect", (client) => {
    client.on("error", (error) => {
      log.warn({ err: error.message, pool: options.applicationName }, "database connection lost while in use");
    });
  });
  return pool;
}

/** Postgres SQLSTATE of an error thrown by pg, if any. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}
