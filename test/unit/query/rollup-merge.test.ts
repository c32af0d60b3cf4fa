import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { appendToRollup, float8ArrayLiteral, groupByMinute, type RollupRow, rollupMinute } from "../../../server/store/rollup-merge";

function columns(samples: { id: number; t: number; v: number }[]) {
  return { seriesIds: samples.map((s) => s.id), ts: samples.map((s) => s.t), values: samples.map((s) => s.v), length: samples.length };
}

/** Postgres float8 ordering: NaN equals NaN and sorts above +Infinity. */
const pgLess = (a: number, b: number) => (Number.isNaN(b) ? !Number.isNaN(a) : Number.isNaN(a) ? false : a < b);

/**
 * The rollup row of one minute as the SQL summary computes it from all its samples
 * (in ts order): a direct transcription of the aggregate's transition functions.
 */
function summarize(id: number, bucket: number, samples: { t: number; v: number }[]): RollupRow {
  let inc: number | null = null;
  let minV = samples[0].v;
  let maxV = samples[0].v;
  for (let k = 1; k < samples.length; k += 1) {
    const { v } = samples[k];
    const prev = samples[k - 1].v;
    const step = !pgLess(v, prev) ? v - prev : v; // CASE WHEN value >= prev THEN value - prev ELSE value END
    inc = inc === null ? step : inc + step; // sum(): NULL state takes the first input as is
    minV = pgLess(minV, v) ? minV : v; // float8smaller(state, v)
    maxV = pgLess(v, maxV) ? maxV : v; // float8larger(state, v)
  }
  const last = samples[samples.length - 1];
  return { seriesId: id, bucket, n: samples.length, firstTs: samples[0].t, firstV: samples[0].v, lastTs: last.t, lastV: last.v, inc: inc ?? 0, minV, maxV };
}

const special = fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, 0.2, 0.3, 1e300);
const value = fc.oneof(special, fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 1_000 }).map((k) => k * 0.1));

describe("rollupMinute", () => {
  it("maps a time to the start of its left-open minute", () => {
    expect(rollupMinute(60_000)).toBe(0);
    expect(rollupMinute(60_001)).toBe(60_000);
    expect(rollupMinute(1)).toBe(0);
    expect(rollupMinute(0)).toBe(-60_000);
  });
});

describe("groupByMinute", () => {
  it("groups by (series, minute), sorts each group by ts and flags repeated timestamps", () => {
    const groups = groupByMinute(
      columns([
        { id: 1, t: 5_000, v: 1 },
        { id: 2, t: 5_000, v: 2 },
        { id: 1, t: 3_000, v: 3 },
        { id: 1, t: 60_000, v: 4 },
        { id: 1, t: 60_001, v: 5 },
        { id: 2, t: 5_000, v: 6 },
      ]),
    );
    expect(groups).toEqual([
      { seriesId: 1, bucket: 0, samples: [2, 0, 3], repeatsTs: false },
      { seriesId: 2, bucket: 0, samples: [1, 5], repeatsTs: true },
      { seriesId: 1, bucket: 60_000, samples: [4], repeatsTs: false },
    ]);
  });
});

describe("appendToRollup", () => {
  it("extends a stored row bit for bit as a summary of all the minute's samples (NaN, ±Inf, -0, 0.1 steps)", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 40 }), fc.nat(), fc.boolean(), (values, cut, shuffle) => {
        const samples = values.map((v, k) => ({ t: 1_000 + k * 7, v }));
        const split = cut % (samples.length + 1);
        const stored = split > 0 ? summarize(9, 0, samples.slice(0, split)) : undefined;
        const rest = samples.slice(split);
        if (rest.length === 0) return;
        // The batch may list its samples out of order; grouping sorts them.
        const batch = shuffle ? [...rest].reverse() : rest;
        const [group] = groupByMinute(columns(batch.map((s) => ({ id: 9, ...s }))));
        const appended = appendToRollup(stored, group, columns(batch.map((s) => ({ id: 9, ...s }))));
        const expected = summarize(9, 0, samples);
        expect(appended).toBeDefined();
        for (const key of Object.keys(expected) as (keyof RollupRow)[]) expect(Object.is(appended?.[key], expected[key]), `${key}: ${appended?.[key]} vs ${expected[key]}`).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses samples at or before the stored row's last sample, and repeated timestamps", () => {
    const stored = summarize(1, 0, [
      { t: 10_000, v: 1 },
      { t: 20_000, v: 2 },
    ]);
    const late = columns([
      { id: 1, t: 20_000, v: 3 },
      { id: 1, t: 30_000, v: 4 },
    ]);
    expect(appendToRollup(stored, groupByMinute(late)[0], late)).toBeUndefined();
    const repeated = columns([
      { id: 1, t: 30_000, v: 3 },
      { id: 1, t: 30_000, v: 4 },
    ]);
    expect(appendToRollup(undefined, groupByMinute(repeated)[0], repeated)).toBeUndefined();
    const newer = columns([{ id: 1, t: 20_001, v: 0.5 }]);
    expect(appendToRollup(stored, groupByMinute(newer)[0], newer)).toEqual({ ...stored, n: 3, lastTs: 20_001, lastV: 0.5, inc: 1.5, minV: 0.5 });
  });
});

describe("float8ArrayLiteral", () => {
  it("spells every double so that Postgres reads it back exactly", () => {
    expect(float8ArrayLiteral([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, 1e-300, 123456789.125])).toBe(
      "{0,-0,NaN,Infinity,-Infinity,0.1,1e-300,123456789.125}",
    );
    expect(float8ArrayLiteral([])).toBe("{}");
  });
});
