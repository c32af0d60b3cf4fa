/**
 * Many loopback exporters in one process, kept out of the measured Loopscope processes (a
 * child of bench/scale-scrape.ts, talking over IPC). Each target listens on a port of its own
 * and serves `BENCH_SCALE_SERIES` series in the Prometheus text format, their values moving
 * with every scrape. The process records when each target was scraped, so the bench can tell
 * scrape lag, missed scrapes and whether any target was scraped more often than one scraper would.
 *
 *   env: BENCH_SCALE_TARGETS, BENCH_SCALE_SERIES
 *   IPC in:  { kind: "mark" } (start a measured window), { kind: "report" }
 *   IPC out: { kind: "ready", ports }, { kind: "report", targets: TargetScrapes[] }
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface TargetScrapes {
  /** Scrapes since the mark. */
  count: number;
  /** Longest time between two scrapes since the mark (ms; 0 with fewer than two). */
  maxGapMs: number;
  /** Gaps since the mark, summed as whole missed intervals: round(gap / interval) − 1 each. */
  missed: number;
  /** When the first scrape after the mark came (ms after the mark; -1 with none). */
  firstAfterMarkMs: number;
}

export type ExporterMessage = { kind: "ready"; ports: number[] } | { kind: "report"; targets: TargetScrapes[] };

const FAMILIES = 50;

/** The series' text before their values: FAMILIES families of series/FAMILIES label values each. */
function seriesPrefixes(series: number): { headers: Map<number, string>; prefixes: string[] } {
  const perFamily = Math.ceil(series / FAMILIES);
  const headers = new Map<number, string>();
  const prefixes: string[] = [];
  for (let i = 0; i < series; i += 1) {
    const family = Math.floor(i / perFamily);
    const counter = family % 2 === 0;
    const name = counter ? `bench_reconcile_${family}_total` : `bench_queue_${family}_depth`;
    if (i % perFamily === 0) headers.set(i, `# HELP ${name} A benchmark series.\n# TYPE ${name} ${counter ? "counter" : "gauge"}\n`);
    prefixes.push(`${name}{controller="c${i % perFamily}",namespace="team-${family % 7}"} `);
  }
  return { headers, prefixes };
}

function main(): void {
  const targets = Number(process.env.BENCH_SCALE_TARGETS ?? 2_000);
  const series = Number(process.env.BENCH_SCALE_SERIES ?? 500);
  const intervalMs = Number(process.env.BENCH_SCALE_INTERVAL_MS ?? 15_000);
  const { headers, prefixes } = seriesPrefixes(series);
  let markAt = Date.now();
  const state = Array.from({ length: targets }, () => ({ scrapes: 0, last: 0, count: 0, maxGapMs: 0, missed: 0, first: -1 }));
  const body = (index: number): string => {
    const s = state[index];
    const n = s.scrapes;
    let out = "";
    for (let i = 0; i < prefixes.length; i += 1) {
      const header = headers.get(i);
      if (header) out += header;
      // Counters grow, gauges wave: values change on every scrape, as a real exporter's do.
      out += `${prefixes[i]}${i % 2 === 0 ? n * (i + 1) : (n + i) % 97}\n`;
    }
    return out;
  };
  const servers = Array.from({ length: targets }, (_, index) =>
    http.createServer((req, res) => {
      const s = state[index];
      const now = Date.now();
      s.scrapes += 1;
      if (now >= markAt) {
        if (s.first < 0) s.first = now - markAt;
        if (s.count > 0) {
          const gap = now - s.last;
          s.maxGapMs = Math.max(s.maxGapMs, gap);
          s.missed += Math.max(0, Math.round(gap / intervalMs) - 1);
        }
        s.count += 1;
      }
      s.last = now;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(body(index));
      req.resume();
    }),
  );
  void Promise.all(servers.map((server) => new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  }))).then((ports) => process.send?.({ kind: "ready", ports } satisfies ExporterMessage));
  process.on("message", (message: { kind?: string }) => {
    if (message.kind === "mark") {
      markAt = Date.now();
      for (const s of state) Object.assign(s, { count: 0, maxGapMs: 0, missed: 0, first: -1 });
    } else if (message.kind === "report") {
      const now = Date.now();
      const report = state.map((s) => ({
        count: s.count,
        // A target not scraped since its last scrape for longer than an interval is late too.
        maxGapMs: Math.max(s.maxGapMs, s.count > 0 ? now - s.last : now - markAt),
        missed: s.missed + Math.max(0, Math.floor((now - (s.count > 0 ? s.last : markAt)) / intervalMs) - 1) + (s.count === 0 ? 1 : 0),
        firstAfterMarkMs: s.first,
      }));
      process.send?.({ kind: "report", targets: report } satisfies ExporterMessage);
    }
  });
  process.on("disconnect", () => process.exit(0));
}

main();
