import type pg from "pg";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SAMPLE_LIMITS, type Rejection } from "../../../server/ingest/sample-limits";
import { RemoteWriteReceiver } from "../../../server/remote-write/remote-write-receiver";
import { decodeWriteRequest, encodeWriteRequest, type WriteRequestInput } from "../../../server/remote-write/write-request";
import { rebuildRollup } from "../../../server/store/rollup";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { createTestDatabase, type TestDatabase } from "../../support/db";

let db: TestDatabase;
let pool: pg.Pool;
const T = Date.now() - 3_600_000;
const refused: { reason: string; count: number }[] = [];

const request = (input: WriteRequestInput) => decodeWriteRequest(encodeWriteRequest(input));
const series = (name: string, samples: { ts: number; value: number; stale?: boolean }[], labels: Record<string, string> = {}) => ({
  labels: { __name__: name, job: "node", instance: "h:9100", ...labels },
  samples,
});

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-remote-write", max: 3 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function receiver(options: { capacitySamples?: number } = {}) {
  return new RemoteWriteReceiver({
    pool,
    limits: DEFAULT_SAMPLE_LIMITS,
    metricsRegistry: new Registry(),
    onRefused: (_source: string, rejection: Rejection, count: number) => refused.push({ reason: rejection.reason, count }),
    ...options,
  });
}

async function stored(metric: string): Promise<{ t: number; v: number }[]> {
  const { rows } = await pool.query<{ t: number; v: number }>(
    "SELECT date_part('epoch', s.ts) * 1000 AS t, s.value AS v FROM samples s JOIN series x ON x.id = s.series_id WHERE x.metric = $1 AND x.source = 'remote-write' ORDER BY s.ts",
    [metric],
  );
  return rows.map((r) => ({ t: Math.round(r.t), v: r.v }));
}

describe("remote-write receiver", () => {
  it("stores samples once: resends are duplicates, older samples out of order, a changed value a duplicate timestamp", async () => {
    const rw = receiver();
    await rw.start();
    const first = await rw.write(request({ series: [series("rw_a_total", [{ ts: T, value: 1 }, { ts: T + 15_000, value: 2 }, { ts: T + 30_000, value: 3 }])] }));
    expect(first).toEqual({ kind: "stored", counts: expect.objectContaining({ stored: 3, duplicate: 0 }) });
    // A resend (Prometheus retrying after a timeout) and one new sample.
    const resend = await rw.write(request({ series: [series("rw_a_total", [{ ts: T + 15_000, value: 2 }, { ts: T + 30_000, value: 3 }, { ts: T + 45_000, value: 4 }])] }));
    expect(resend).toMatchObject({ kind: "stored", counts: { stored: 1, duplicate: 2, outOfOrder: 0 } });
    // Older than the latest and never stored: out of order; a stored time with another value: duplicate timestamp.
    const late = await rw.write(request({ series: [series("rw_a_total", [{ ts: T + 5_000, value: 9 }, { ts: T + 30_000, value: 30 }])] }));
    expect(late).toMatchObject({ kind: "stored", counts: { stored: 0, duplicate: 0, outOfOrder: 1, duplicateTimestamp: 1 } });
    expect(await stored("rw_a_total")).toEqual([
      { t: T, v: 1 },
      { t: T + 15_000, v: 2 },
      { t: T + 30_000, v: 3 },
      { t: T + 45_000, v: 4 },
    ]);
    expect(refused).toEqual(expect.arrayContaining([{ reason: "out_of_order", count: 1 }, { reason: "duplicate_timestamp", count: 1 }]));
    // A fresh receiver (a restart) knows the stored latest from the database.
    const again = receiver();
    await again.start();
    expect(await again.write(request({ series: [series("rw_a_total", [{ ts: T + 45_000, value: 4 }, { ts: T + 60_000, value: 5 }])] }))).toMatchObject({
      counts: { stored: 1, duplicate: 1 },
    });
    await again.stop();
    await rw.stop();
  });

  it("stale NaNs become staleness markers, invalid series and out-of-window samples are refused and counted", async () => {
    const rw = receiver();
    await rw.start();
    const outcome = await rw.write(
      request({
        series: [
          series("rw_b", [{ ts: T, value: Number.NaN }, { ts: T + 15_000, value: 0, stale: true }]),
          { labels: { job: "no-name" }, samples: [{ ts: T, value: 1 }] },
          series("rw_c", [{ ts: Date.now() - 3 * 86_400_000, value: 1 }, { ts: T, value: 2 }]),
        ],
      }),
    );
    expect(outcome).toMatchObject({ kind: "stored", counts: { stored: 2, staleMarkers: 1, refused: 2 } });
    const b = await stored("rw_b");
    expect(b).toHaveLength(1);
    expect(Number.isNaN(b[0].v)).toBe(true);
    const { rows } = await pool.query(
      "SELECT date_part('epoch', m.ts) * 1000 AS t FROM stale_markers m JOIN series x ON x.id = m.series_id WHERE x.metric = 'rw_b'",
    );
    expect(rows.map((r) => Math.round(r.t))).toEqual([T + 15_000]);
    expect(await stored("rw_c")).toEqual([{ t: T, v: 2 }]);
    expect(refused.map((r) => r.reason)).toEqual(expect.arrayContaining(["label_name_invalid", "timestamp"]));
    await rw.stop();
  });

  it("concurrent requests share transactions; past the buffer's capacity a request is refused with a retry time", async () => {
    const rw = receiver({ capacitySamples: 2_000 });
    await rw.start();
    const big = (k: number) =>
      request({ series: Array.from({ length: 100 }, (_, s) => series("rw_d", Array.from({ length: 10 }, (_, i) => ({ ts: T + (k * 10 + i) * 1_000, value: i })), { s: String(s) })) });
    const outcomes = await Promise.all([0, 1, 2, 3].map((k) => rw.write(big(k))));
    const busy = outcomes.filter((o) => o.kind === "busy");
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]).toMatchObject({ retryAfterS: expect.any(Number) });
    const ok = outcomes.filter((o) => o.kind === "stored");
    expect(ok.length).toBeGreaterThan(0);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM samples s JOIN series x ON x.id = s.series_id WHERE x.metric = 'rw_d'");
    expect(rows[0].n).toBe(ok.length * 1_000);
    expect(rw.pending).toBe(0);
    await rw.stop();
  });

  it("requests sent at once are written on two connections, but a series is never in two batches being written", async () => {
    const rw = receiver();
    await rw.start();
    const push = (name: string, from: number) =>
      request({ series: Array.from({ length: 50 }, (_, s) => series(name, Array.from({ length: 4 }, (_, i) => ({ ts: T + (from + i) * 1_000, value: from + i })), { s: String(s) })) });
    // The same request twice at once (a resend racing the original): one stores, the other finds duplicates.
    const [a, b] = await Promise.all([rw.write(push("rw_f", 0)), rw.write(push("rw_f", 0))]);
    const counts = [a, b].map((o) => (o.kind === "stored" ? o.counts : undefined));
    expect(counts.map((c) => c?.stored).sort()).toEqual([0, 200]);
    expect(counts.map((c) => c?.duplicate).sort()).toEqual([0, 200]);
    // Disjoint series and later samples of the same ones, all at once: everything stored, nothing out of order.
    const outcomes = await Promise.all([rw.write(push("rw_g", 0)), rw.write(push("rw_f", 4)), rw.write(push("rw_h", 0)), rw.write(push("rw_f", 8))]);
    expect(outcomes.map((o) => (o.kind === "stored" ? o.counts.stored : o.kind))).toEqual([200, 200, 200, 200]);
    const { rows } = await pool.query<{ metric: string; n: number }>(
      "SELECT x.metric, count(*)::int AS n FROM samples s JOIN series x ON x.id = s.series_id WHERE x.metric IN ('rw_f', 'rw_g', 'rw_h') GROUP BY 1 ORDER BY 1",
    );
    expect(rows).toEqual([
      { metric: "rw_f", n: 600 },
      { metric: "rw_g", n: 200 },
      { metric: "rw_h", n: 200 },
    ]);
    await rw.stop();
  });

  it("answers 'retry' (503 with Retry-After) while the database is unreachable", async () => {
    const broken = createTimeseriesPool(db.url.replace(/:\d+\//, ":1/"), { applicationName: "loopscope-test-remote-write-down", max: 1, connectionTimeoutMs: 500 });
    const down = new RemoteWriteReceiver({ pool: broken, metricsRegistry: new Registry(), log: pino({ level: "silent" }) });
    await down.start();
    const outcome = await down.write(request({ series: [series("rw_e", [{ ts: T, value: 1 }])] }));
    expect(outcome).toMatchObject({ kind: "failed", retryAfterS: 1 });
    await down.stop();
    await broken.end();
  });

  it("folds a request's samples of one series and minute into one rollup row: the same row as sample by sample, and as a recompute", async () => {
    const rw = receiver();
    await rw.start();
    // 1.5 s apart over about three minutes: up to 40 samples of a series per minute,
    // a counter in 0.1 steps with a reset, and a NaN (not a staleness marker).
    const start = Math.floor((T + 600_000) / 60_000) * 60_000 - 7_500;
    const samples = Array.from({ length: 110 }, (_, i) => ({ ts: start + i * 1_500, value: i === 50 ? Number.NaN : i < 70 ? 0.1 * i : 0.1 * (i - 70) }));
    // Then a resend of some (duplicates), older samples never stored (out of order) and a changed value (duplicate timestamp).
    const resend = samples.slice(100, 105);
    const older = [
      { ts: start + 1_000, value: 9 },
      { ts: start + 150_250, value: 9 },
    ];
    const changed = [{ ts: samples[107].ts, value: 42 }];
    const folded = [
      await rw.write(request({ series: [series("rw_fold", samples, { path: "batch" })] })),
      await rw.write(request({ series: [series("rw_fold", [...resend, ...older, ...changed], { path: "batch" })] })),
    ];
    const bySample = [];
    for (const x of [...samples, ...resend, ...older, ...changed]) bySample.push(await rw.write(request({ series: [series("rw_fold", [x], { path: "sample" })] })));
    await rw.stop();

    const total = (outcomes: typeof folded) => {
      const sum = { stored: 0, duplicate: 0, outOfOrder: 0, duplicateTimestamp: 0 };
      for (const o of outcomes) {
        if (o.kind !== "stored") throw new Error(`not stored: ${o.kind}`);
        for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += o.counts[key];
      }
      return sum;
    };
    expect(total(folded)).toEqual({ stored: 110, duplicate: 5, outOfOrder: 2, duplicateTimestamp: 1 });
    expect(total(bySample)).toEqual(total(folded));

    const rollup = async (path: string) =>
      (
        await pool.query(
          `SELECT date_part('epoch', r.bucket) * 1000 AS bucket, r.n, date_part('epoch', r.first_ts) * 1000 AS first_ts, r.first_v,
             date_part('epoch', r.last_ts) * 1000 AS last_ts, r.last_v, r.inc, r.min_v, r.max_v
           FROM samples_1m r JOIN series x ON x.id = r.series_id WHERE x.metric = 'rw_fold' AND x.labels->>'path' = $1 ORDER BY r.bucket`,
          [path],
        )
      ).rows;
    const batched = await rollup("batch");
    expect(batched.map((r) => r.n)).toEqual([6, 40, 40, 24]);
    expect(batched.reduce((a, r) => a + r.n, 0)).toBe(110);
    // toEqual compares numbers with Object.is: NaN equals NaN, -0 differs from 0.
    expect(await rollup("sample")).toEqual(batched);
    await rebuildRollup(pool, start - 60_000, start + 300_000);
    expect(await rollup("batch")).toEqual(batched);
  });
});
