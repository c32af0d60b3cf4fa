import { describe, expect, it } from "vitest";
import { formatGoFloat, formatOpenMetricsFloat, parsePrometheusFloat } from "../../../server/scrape/prometheus-float";

describe("Prometheus floats", () => {
  it("formats like Go's strconv.FormatFloat(x, 'g', -1, 64), as client_golang writes them", () => {
    // ExponentialBuckets(10e-9, 10, 12) as controller-runtime computes them, and what its /metrics shows.
    const buckets: number[] = [];
    for (let b = 10e-9, k = 0; k < 12; k++, b *= 10) buckets.push(b);
    expect(buckets.map(formatGoFloat)).toEqual(["1e-08", "1e-07", "1e-06", "9.999999999999999e-06", "9.999999999999999e-05", "0.001", "0.01", "0.1", "1", "10", "100", "1000"]);
    expect([1234567, 100000, 1e6, 469.20134874799993, 2 ** 63, 0.000427708, 2.4e-5, 1e-4, -3, 0, -0].map(formatGoFloat)).toEqual([
      "1.234567e+06",
      "100000",
      "1e+06",
      "469.20134874799993",
      "9.223372036854776e+18",
      "0.000427708",
      "2.4e-05",
      "0.0001",
      "-3",
      "0",
      "-0",
    ]);
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5e300].map(formatGoFloat)).toEqual(["NaN", "+Inf", "-Inf", "1.5e+300"]);
  });

  it("formats the canonical OpenMetrics spelling Prometheus uses for le and quantile", () => {
    expect([1, 0, 10, 1000, 0.5, 1e-8, Number.POSITIVE_INFINITY, 1e6].map(formatOpenMetricsFloat)).toEqual(["1.0", "0.0", "10.0", "1000.0", "0.5", "1e-08", "+Inf", "1e+06"]);
  });

  it("parses decimal, exponent and special spellings and rejects the rest", () => {
    expect(["1", "-1.5", "+.5", "5.", "1e-08", "9.223372036854776e+18", "NaN", "nan", "+Inf", "-Inf", "Inf", "infinity", "-Infinity"].map(parsePrometheusFloat)).toEqual([
      1, -1.5, 0.5, 5, 1e-8, 2 ** 63, Number.NaN, Number.NaN, Infinity, -Infinity, Infinity, Infinity, -Infinity,
    ]);
    for (const bad of ["", "-", ".", "e5", "1e", "0x10", "1_000", "one", " 1", "1 ", "++1", "Infinityx"]) expect(parsePrometheusFloat(bad)).toBeUndefined();
  });
});
