import type { SeriesDescriptor } from "./sample";

/** A staleness marker waiting to be written: the series ended at `ts` (epoch ms). */
export interface PendingMarker {
  readonly series: SeriesDescriptor;
  readonly ts: number;
}

/**
 * Which series each source exposed in its latest snapshot (one scrape of a target, one
 * collection of the in-process registry), so that the series a snapshot no longer has
 * end there, as Prometheus's scrape loop ends them with its stale NaN: a failed scrape
 * (only `up` and the other synthetic series remain), a series gone from the exposition,
 * a controller that stopped (its metrics forgotten), a target removed, a replica
 * stopping. Series with the exporter's own timestamps are never tracked (Prometheus
 * does not mark those stale either).
 */
export class StalenessTracker {
  private readonly current = new Map<string, Set<SeriesDescriptor>>();

  /** Takes `present` as the source's new snapshot; returns the series that vanished since the last one. */
  next(source: string, present: Set<SeriesDescriptor>): SeriesDescriptor[] {
    const previous = this.current.get(source);
    this.current.set(source, present);
    if (!previous) return [];
    const vanished: SeriesDescriptor[] = [];
    for (const series of previous) if (!present.has(series)) vanished.push(series);
    return vanished;
  }

  /** Ends every series of `source` (the target is gone, or the process stops); returns them. */
  end(source: string): SeriesDescriptor[] {
    const previous = this.current.get(source);
    this.current.delete(source);
    return previous ? [...previous] : [];
  }

  sources(): string[] {
    return [...this.current.keys()];
  }
}

/** Marker rows as Postgres arrays: series ids and times (ms), for one INSERT … SELECT unnest. */
export const INSERT_MARKERS_SQL = `
INSERT INTO stale_markers (series_id, ts)
SELECT id, to_timestamp(t / 1000) FROM unnest($1::int[], $2::float8[]) AS m(id, t)
ON CONFLICT DO NOTHING`;
