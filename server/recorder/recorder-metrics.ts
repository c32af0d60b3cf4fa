import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The recorder's own health, exported on /metrics (and recorded like any other metric). */
export interface RecorderMetrics {
  dropped: Counter;
  buffered: Gauge;
  writeErrors: Counter;
  lastFlush: Gauge;
  written: Counter;
  flushDuration: Histogram;
  staleMarkers: Counter;
  rejected: Counter<"reason">;
}

export function recorderMetrics(registry: Registry): RecorderMetrics {
  const registers = [registry];
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  // A second Recorder on the same registry (tests, hot reload) shares the metrics.
  return {
    dropped:
      existing<Counter>("loopscope_recorder_dropped_samples_total") ??
      new Counter({
        name: "loopscope_recorder_dropped_samples_total",
        help: "Samples dropped because the recorder's buffer was full while the database was unavailable.",
        registers,
      }),
    buffered:
      existing<Gauge>("loopscope_recorder_buffered_samples") ??
      new Gauge({ name: "loopscope_recorder_buffered_samples", help: "Samples waiting in the recorder's buffer to be written.", registers }),
    writeErrors:
      existing<Counter>("loopscope_recorder_write_errors_total") ??
      new Counter({ name: "loopscope_recorder_write_errors_total", help: "Failed sample batch writes (each is retried).", registers }),
    lastFlush:
      existing<Gauge>("loopscope_recorder_last_flush_timestamp_seconds") ??
      new Gauge({
        name: "loopscope_recorder_last_flush_timestamp_seconds",
        help: "Unix time of the recorder's last successful write.",
        registers,
      }),
    staleMarkers:
      existing<Counter>("loopscope_recorder_stale_markers_total") ??
      new Counter({
        name: "loopscope_recorder_stale_markers_total",
        help: "Series ended with a staleness marker (failed scrape, series gone from its target, controller or replica stopped).",
        registers,
      }),
    written:
      existing<Counter>("loopscope_recorder_written_samples_total") ??
      new Counter({ name: "loopscope_recorder_written_samples_total", help: "Samples the recorder has stored.", registers }),
    flushDuration:
      existing<Histogram>("loopscope_recorder_flush_duration_seconds") ??
      new Histogram({
        name: "loopscope_recorder_flush_duration_seconds",
        help: "Time to write one batch of samples.",
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers,
      }),
    rejected:
      existing<Counter<"reason">>("loopscope_recorder_rejected_samples_total") ??
      new Counter({
        name: "loopscope_recorder_rejected_samples_total",
        help: "Samples refused (bad timestamp, label limits) or rejected by the database, by reason; never retried.",
        labelNames: ["reason"],
        registers,
      }),
  };
}
