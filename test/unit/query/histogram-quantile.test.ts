import { describe, expect, it } from "vitest";
import { bucketQuantile, parseUpperBound } from "../../../server/query/histogram-quantile";

const inf = Number.POSITIVE_INFINITY;

describe("bucketQuantile (Prometheus histogram_quantile)", () => {
  const buckets = [
    { upperBound: 0.1, count: 1 },
    { upperBound: 0.5, count: 3 },
    { upperBound: 1, count: 3 },
    { upperBound: inf, count: 4 },
  ];

  it("interpolates linearly inside the bucket holding the rank", () => {
    // rank 2 of 4 → bucket (0.1, 0.5] holding 2, 1 of them below → 0.1 + 0.4 × 1/2.
    expect(bucketQuantile(0.5, buckets)).toBeCloseTo(0.3, 12);
    // rank 0.4 in the first bucket interpolates from 0.
    expect(bucketQuantile(0.1, buckets)).toBeCloseTo(0.04, 12);
  });

  it("returns the second-highest bound when the rank falls in +Inf", () => {
    expect(bucketQuantile(0.99, buckets)).toBe(1);
  });

  it("handles the special cases as Prometheus does", () => {
    expect(bucketQuantile(-0.1, buckets)).toBe(Number.NEGATIVE_INFINITY);
    expect(bucketQuantile(1.1, buckets)).toBe(inf);
    expect(bucketQuantile(Number.NaN, buckets)).toBeNaN();
    expect(bucketQuantile(0.5, buckets.slice(0, 3))).toBeNaN(); // no +Inf bucket
    expect(bucketQuantile(0.5, [{ upperBound: inf, count: 5 }])).toBeNaN(); // fewer than 2 buckets
    expect(bucketQuantile(0.5, buckets.map((b) => ({ ...b, count: 0 })))).toBeNaN();
    expect(bucketQuantile(0.5, [{ upperBound: -1, count: 3 }, { upperBound: inf, count: 4 }])).toBe(-1);
  });

  it("sorts, merges equal bounds and forces monotonic counts", () => {
    const messy = [
      { upperBound: inf, count: 4 },
      { upperBound: 0.5, count: 2 }, // lower than the 0.1 bucket: raised to 3
      { upperBound: 0.1, count: 3 },
    ];
    // Monotonic envelope: 0.1 → 3, 0.5 → 3, +Inf → 4; rank 2 falls in the first bucket.
    expect(bucketQuantile(0.5, messy)).toBeCloseTo((0.1 * 2) / 3, 12);
    const duplicated = [
      { upperBound: 1, count: 1 },
      { upperBound: 1, count: 1 },
      { upperBound: inf, count: 2 },
    ];
    expect(bucketQuantile(0.5, duplicated)).toBeCloseTo(0.5, 12);
  });

  it("parses le values as Prometheus writes them", () => {
    expect(parseUpperBound("+Inf")).toBe(inf);
    expect(parseUpperBound("1e-08")).toBe(1e-8);
    expect(parseUpperBound("0.005")).toBe(0.005);
    expect(parseUpperBound("abc")).toBeNaN();
  });
});
