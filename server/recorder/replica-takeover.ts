import type pg from "pg";
import { LOOKBACK_MS } from "../query/range-plan";
import { SELF_SOURCE } from "./sample";

/**
 * A replica killed with SIGKILL (or cut off) writes no staleness markers, so its
 * in-process series — `replica`-labelled, e.g. controller_runtime_active_workers —
 * would still count in sums for the 5-minute lookback. The replica that takes over its
 * expired lease ends them instead, at the takeover time: the series of that replica
 * that have a sample within the lookback before it (older ones already count nowhere).
 * A replica that was only cut off and still records revives its series with its next
 * sample, as in Prometheus.
 */
export interface TakeoverMarking {
  replica: string;
  /** Samples after this (epoch ms, exclusive) make a series live. */
  from: number;
  /** The marker's time (epoch ms). */
  at: number;
}

/** What to mark when `identity` took over `previousHolder`'s lease at `at`; undefined when nothing is. */
export function takeoverMarking(previousHolder: string, identity: string, at: number): TakeoverMarking | undefined {
  if (previousHolder === "" || previousHolder === identity || !Number.isFinite(at)) return undefined;
  return { replica: previousHolder, from: at - LOOKBACK_MS, at: Math.trunc(at) };
}

const END_REPLICA_SQL = `
INSERT INTO stale_markers (series_id, ts)
SELECT s.id, to_timestamp($4::float8 / 1000) FROM series s
WHERE s.source = $1 AND s.labels->>'replica' = $2
  AND EXISTS (SELECT 1 FROM samples x WHERE x.series_id = s.id AND x.ts > to_timestamp($3::float8 / 1000) AND x.ts <= to_timestamp($4::float8 / 1000))
ON CONFLICT DO NOTHING`;

/** Writes the markers of `marking`; resolves the number of series ended. */
export async function endReplicaSeries(pool: pg.Pool, marking: TakeoverMarking): Promise<number> {
  const result = await pool.query(END_REPLICA_SQL, [SELF_SOURCE, marking.replica, marking.from, marking.at]);
  return result.rowCount ?? 0;
}
