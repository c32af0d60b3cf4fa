/**
 * The recordings of bench/detect-demo.ts: the fault schedule as it ran, the watched series
 * (and candidates) as the live service read them, the windows it opened, and the raw
 * samples of Loopscope's own metrics, so a replay can query any watched-series
 * configuration through the recorder's own query path.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { parseSeriesCsv } from "../../server/anomaly/csv";
import { ratioOf, recordedSeriesFetcher } from "../../server/anomaly/recorded-series";
import type { SeriesPoint } from "../../server/anomaly/service";
import { defaultWatchedSeries, type SeriesQuery, seriesQuerySchema } from "../../server/anomaly/watched-series";
import { runRangeQuery } from "../../server/query/range-query";
import { MemorySampleSource } from "../../server/query/sample-source";

export interface Fault {
  id: number;
  fault: string;
  controller: string;
  start: number;
  end: number;
}

export interface ScoredWindow {
  seriesKey: string;
  start: number;
  end: number | null;
  detectedAt: number;
  peakScore: number;
  direction: string;
  /** The series whose window explains this one (one root cause), if the detector said so. */
  explainedBy?: string | null;
}

/** A built-in or user alert rule that started firing. */
export interface FiredAlert {
  rule: string;
  at: number;
  /** The alert's controller label (absent in recordings made before it was kept). */
  controller?: string;
}

/** Raw samples of one recorded series (Loopscope's own metrics), for replays through the query engine. */
export interface RawSeries {
  metric: string;
  labels: Record<string, string>;
  type: string;
  samples: Array<[number, number]>;
}

export interface Recording {
  faults: Fault[];
  /** Every raw sample of the metrics the watched series read (recordings since raw samples were kept). */
  raw?: RawSeries[];
  /** The recorder's scrape interval (step of the watched series). */
  stepMs?: number;
  alerts?: FiredAlert[];
  /** Watched series, plus candidates recorded for replays of other configurations (watched: false). */
  series: Array<{ key: string; query: SeriesQuery; sensitivity: string; points: SeriesPoint[]; watched?: boolean }>;
  windows: ScoredWindow[];
  until: number;
}

/**
 * Series recorded beside the watched ones (not watched, not scored unless the current
 * default watched series include them), so a replay can try another watched-series
 * configuration without a new 20-minute run: other quantiles and means of the three
 * histograms, the reconcile rate, the longest-running processor, and the raw _sum and
 * _count rates.
 */
export function candidateQueries(controller: string): Array<{ key: string; query: SeriesQuery }> {
  const queue = [{ name: "job", op: "=" as const, value: "loopscope" }, { name: "name", op: "=" as const, value: controller }];
  const ctl = [{ name: "job", op: "=" as const, value: "loopscope" }, { name: "controller", op: "=" as const, value: controller }];
  const k = (what: string) => `${what}{controller=${JSON.stringify(controller)}}`;
  const out: Array<{ key: string; query: SeriesQuery }> = [];
  const histograms = [
    ["work_duration", "workqueue_work_duration_seconds", queue],
    ["queue_latency", "workqueue_queue_duration_seconds", queue],
    ["reconcile_time", "controller_runtime_reconcile_time_seconds", ctl],
  ] as const;
  for (const [name, metric, matchers] of histograms) {
    out.push({ key: k(`${name}_mean`), query: { metric, matchers: [...matchers], fn: "mean", agg: "sum" } });
    for (const q of [0.5, 0.9, 0.99]) {
      out.push({ key: k(`${name}_p${Math.round(q * 100)}`), query: { metric: `${metric}_bucket`, matchers: [...matchers], fn: "histogram_quantile", q, by: ["le"], agg: "sum" } });
    }
    out.push({ key: k(`${name}_sum_rate`), query: { metric: `${metric}_sum`, matchers: [...matchers], fn: "rate", agg: "sum" } });
    out.push({ key: k(`${name}_count_rate`), query: { metric: `${metric}_count`, matchers: [...matchers], fn: "rate", agg: "sum" } });
  }
  out.push({ key: k("reconcile_rate"), query: { metric: "controller_runtime_reconcile_total", matchers: [...ctl], fn: "rate", agg: "sum" } });
  out.push({ key: k("longest_running"), query: { metric: "workqueue_longest_running_processor_seconds", matchers: [...queue], fn: "raw", agg: "max" } });
  return out;
}

/** A query as a canonical string (so recorded series are found by what they ask). */
export function queryKey(query: SeriesQuery): string {
  const q = seriesQuerySchema.parse(query);
  return JSON.stringify({ over: q.over ?? null, metric: q.metric, matchers: [...q.matchers].sort((a, b) => `${a.name}${a.op}${a.value}`.localeCompare(`${b.name}${b.op}${b.value}`)), fn: q.fn, q: q.q ?? null, by: q.by ?? [], agg: q.agg ?? "sum", source: q.source ?? "local" });
}

/**
 * The series a replay scores: the current default watched series of the recorded
 * controllers, each read from the recording by its query (watched then or recorded as a
 * candidate). A default series the recording lacks is reported and left out.
 */
export async function seriesToReplay(recording: Recording): Promise<Recording["series"]> {
  const controllers = [...new Set(recording.series.flatMap((s) => /^queue_depth\{controller="(.+)"\}$/.exec(s.key)?.[1] ?? []))];
  const out: Recording["series"] = [];
  if (recording.raw && recording.raw.length > 0) {
    // Every current default series, read from the raw samples through the recorder's own query path.
    const source = new MemorySampleSource();
    for (const r of recording.raw) source.add(r.metric, r.labels, r.samples.map(([t, v]) => ({ t, v })), r.type);
    const stepMs = recording.stepMs ?? 5_000;
    const fetch = recordedSeriesFetcher((q) => runRangeQuery(source, q, { minWindowMs: Math.max(60_000, 4 * stepMs) }), stepMs);
    // Steps aligned as the recorded series' were (start + k·step).
    const from = Math.min(...recording.series.flatMap((s) => (s.points.length > 0 ? [s.points[0][0]] : []))) - stepMs;
    const watched = new Map(recording.series.map((s) => [s.key, s]));
    for (const spec of defaultWatchedSeries(controllers)) {
      out.push({ key: spec.key, query: spec.query, sensitivity: watched.get(spec.key)?.sensitivity ?? spec.sensitivity, points: await fetch(spec.query, from, recording.until) });
    }
    return out;
  }
  const byQuery = new Map(recording.series.map((s) => [queryKey(s.query), s]));
  for (const spec of defaultWatchedSeries(controllers)) {
    const q = spec.query;
    if (q.fn === "ratio" && q.over) {
      // An older recording: the ratio from the recorded rates of its two counters.
      const events = byQuery.get(queryKey({ metric: q.metric, matchers: q.matchers, fn: "rate", agg: "sum", source: q.source }));
      const over = byQuery.get(queryKey({ metric: q.over.metric, matchers: q.over.matchers ?? q.matchers, fn: "rate", agg: "sum", source: q.source }));
      if (events && over) {
        const stepMs = recording.stepMs ?? 5_000;
        const pairs = (points: SeriesPoint[]) => points.map(([ts, v]) => [ts, v] as [number, number]);
        out.push({ key: spec.key, query: q, sensitivity: spec.sensitivity, points: ratioOf(pairs(events.points), pairs(over.points), Math.max(60_000, 4 * stepMs), stepMs) });
        continue;
      }
    }
    const found = byQuery.get(queryKey(spec.query));
    if (!found) {
      console.log(`not in the recording (left out of the replay): ${spec.key}`);
      continue;
    }
    out.push({ key: spec.key, query: spec.query, sensitivity: found.watched === false ? spec.sensitivity : found.sensitivity, points: found.points });
  }
  return out;
}

export function writeRecording(dir: string, recording: Recording): void {
  fs.mkdirSync(path.join(dir, "series"), { recursive: true });
  const index = recording.series.map((s, i) => {
    const file = `series/${String(i).padStart(2, "0")}.csv`;
    fs.writeFileSync(path.join(dir, file), ["timestamp,value", ...s.points.map(([ts, v]) => `${ts},${v}`)].join("\n"));
    return { key: s.key, query: s.query, sensitivity: s.sensitivity, file, watched: s.watched !== false };
  });
  if (recording.raw) fs.writeFileSync(path.join(dir, "raw.json.gz"), zlib.gzipSync(JSON.stringify(recording.raw)));
  fs.writeFileSync(
    path.join(dir, "recording.json"),
    JSON.stringify({ faults: recording.faults, series: index, windows: recording.windows, until: recording.until, alerts: recording.alerts ?? [], stepMs: recording.stepMs }, null, 1),
  );
}

/** Reads a recording; `untilCap` may end it earlier than it ran (from the faults it holds). */
export function readRecording(dir: string, untilCap: (faults: Fault[]) => number = () => Number.POSITIVE_INFINITY): Recording {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "recording.json"), "utf8")) as {
    faults: Fault[];
    series: Array<{ key: string; query: unknown; sensitivity: string; file: string; watched?: boolean }>;
    windows: ScoredWindow[];
    until: number;
    alerts?: FiredAlert[];
    stepMs?: number;
  };
  const rawFile = path.join(dir, "raw.json.gz");
  const raw = fs.existsSync(rawFile) ? (JSON.parse(zlib.gunzipSync(fs.readFileSync(rawFile)).toString("utf8")) as RawSeries[]) : undefined;
  // Recordings made before the run stopped ahead of the next cycle ran on into it: score as if it had.
  const until = Math.min(meta.until, untilCap(meta.faults));
  return {
    faults: meta.faults,
    alerts: meta.alerts,
    stepMs: meta.stepMs,
    raw: raw?.map((r) => ({ ...r, samples: r.samples.filter(([t]) => t <= until) })),
    windows: meta.windows.filter((w) => w.start <= until).map((w) => (w.end !== null && w.end > until ? { ...w, end: null } : w)),
    until,
    series: meta.series.map((s) => ({
      key: s.key,
      query: seriesQuerySchema.parse(s.query),
      sensitivity: s.sensitivity,
      watched: s.watched !== false,
      points: parseSeriesCsv(fs.readFileSync(path.join(dir, s.file), "utf8"))
        .filter((r) => r.ts <= until)
        .map((r) => [r.ts, r.value] as [number, number]),
    })),
  };
}

