/**
 * Query cost benchmark (issue 17, the query part): a week of one controller-runtime
 * histogram (12 buckets × 4 controllers, 15 s scrapes: ~1.9 M samples), then
 * `histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))` over the 7 days at
 * 1,000 points, with the earlier plan (contiguous gcd(step, window) buckets: every
 * sample of the week read) and the current one (each step reads only its window), side
 * by side; plus a batch of 44 such queries at once, for time and peak RSS.
 *
 *   node --import tsx bench/query-cost.ts
 *
 * The last line is one JSON object with the figures.
 */
import { log } from "../server/log";
import { PgSampleSource } from "../server/query/pg-sample-source";
import { type RangeQueryInput, rangeQuerySchema, runRangeQuery } from "../server/query/range-query";
import { describeSeries } from "../server/recorder/sample";
import { SampleWriter } from "../server/store/sample-writer";
import { SeriesStore } from "../server/store/series-store";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../server/store/timeseries-pool";
import { freshDatabase } from "./support/fresh-database";

const quiet = log.child({ component: "bench" }, { level: "warn" });

const DAY = 86_400_000;
const END = Math.floor(Date.now() / 60_000) * 60_000;
const START = END - 7 * DAY;
const BOUNDS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
const CONTROLLERS = ["pods", "deployments", "services", "nodes"];

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
sampler.unref();
const mib = (bytes: number) => Math.round(bytes / 1048576);

async function main() {
  const db = await freshDatabase({ folder: "bench", port: 54349, prefix: "loopscope_bench", log: quiet });
  // 44 queries at once queue for 4 connections: a long checkout wait, as a busy dashboard would have.
  const pool = createTimeseriesPool(db.url, { applicationName: "loopscope-bench-cost", max: 4, connectionTimeoutMs: 600_000, settings: QUERY_SESSION_SETTINGS });
  try {
    const store = new SeriesStore(pool);
    const writer = new SampleWriter(pool);
    let written = 0;
    for (const controller of CONTROLLERS) {
      for (let b = 0; b < BOUNDS.length; b += 1) {
        const d = describeSeries("target:1", { metric: "workqueue_work_duration_seconds_bucket", labels: { name: controller, le: BOUNDS[b] }, type: "histogram", help: "" });
        const id = (await store.resolve([d])).get(d.hash)!;
        const n = Math.floor((END - START) / 15_000);
        const ts = new Float64Array(n);
        const values = new Float64Array(n);
        let v = 0;
        for (let k = 0; k < n; k += 1) {
          ts[k] = START + k * 15_000 + (k % 7);
          v += (b + 1) * ((k * 7919) % 5);
          values[k] = v;
        }
        await writer.write({ seriesIds: new Int32Array(n).fill(id), ts, values, length: n });
        written += n;
      }
    }
    await pool.query("ANALYZE samples");
    console.log(`recorded ${written.toLocaleString("en-US")} samples (${CONTROLLERS.length * BOUNDS.length} series, 7 days at 15 s)`);

    const source = new PgSampleSource(pool, { parallelism: 2 });
    const input: RangeQueryInput = {
      metric: "workqueue_work_duration_seconds_bucket",
      fn: "histogram_quantile",
      quantile: 0.99,
      windowMs: 300_000,
      aggregate: { op: "sum", by: ["le"] },
      start: START,
      end: END,
      maxPoints: 1_000,
    };
    const query = rangeQuerySchema.parse(input);
    const time = async (stridedWindows: boolean) => {
      const started = performance.now();
      const result = await runRangeQuery(source, query, { stridedWindows, limits: { maxBucketReads: 10_000_000, timeoutMs: 600_000 } });
      return { ms: performance.now() - started, points: result.series[0]?.points.length ?? 0, step: result.step };
    };
    const before = await time(false);
    const after = await time(true);
    console.log(`7 d histogram_quantile: contiguous plan ${before.ms.toFixed(0)} ms, windows only ${after.ms.toFixed(0)} ms (${(before.ms / after.ms).toFixed(1)}×), ${after.points} points at step ${after.step / 1000} s`);

    const batch = async (stridedWindows: boolean) => {
      peakRss = process.memoryUsage().rss;
      const rssBefore = peakRss;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 44 }, (_, k) =>
          runRangeQuery(source, rangeQuerySchema.parse({ ...input, quantile: 0.5 + k / 100 }), { stridedWindows, limits: { maxBucketReads: 10_000_000, timeoutMs: 600_000 } }),
        ),
      );
      return { ms: performance.now() - started, rssBeforeMiB: mib(rssBefore), rssPeakMiB: mib(peakRss) };
    };
    const batchBefore = await batch(false);
    const batchAfter = await batch(true);
    console.log(`batch of 44: contiguous ${batchBefore.ms.toFixed(0)} ms, RSS ${batchBefore.rssBeforeMiB}→${batchBefore.rssPeakMiB} MiB; windows only ${batchAfter.ms.toFixed(0)} ms, RSS ${batchAfter.rssBeforeMiB}→${batchAfter.rssPeakMiB} MiB`);
    console.log(
      JSON.stringify({
        bench: "query-cost",
        samples: written,
        histogramQuantile7d: { contiguousMs: Math.round(before.ms), windowsOnlyMs: Math.round(after.ms), ratio: Number((before.ms / after.ms).toFixed(2)) },
        batch44: { contiguous: batchBefore, windowsOnly: batchAfter },
      }),
    );
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
