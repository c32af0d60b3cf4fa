import { describe, expect, it } from "vitest";
import { formatPrometheusFloat, normalizeFloatLabel } from "../../../server/recorder/prometheus-float";

describe("formatPrometheusFloat (Go strconv 'g', -1)", () => {
  it.each([
    [0.005, "0.005"],
    [0.01, "0.01"],
    [2.5, "2.5"],
    [1, "1"],
    [10, "10"],
    [0, "0"],
    [100000, "100000"],
    [1e6, "1e+06"],
    [1234567, "1.234567e+06"],
    [1e-8, "1e-08"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [-0.25, "-0.25"],
    [1e21, "1e+21"],
    [123456.789, "123456.789"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
    [Number.NaN, "NaN"],
  ])("%s → %s", (value, text) => {
    expect(formatPrometheusFloat(value)).toBe(text);
  });

  it("normalises le/quantile label values from either exposition format", () => {
    expect(normalizeFloatLabel("1.0")).toBe("1");
    expect(normalizeFloatLabel("0.50")).toBe("0.5");
    expect(normalizeFloatLabel("+Inf")).toBe("+Inf");
    expect(normalizeFloatLabel("1e-08")).toBe("1e-08");
    expect(normalizeFloatLabel("1000000.0")).toBe("1e+06");
    expect(normalizeFloatLabel("not-a-number")).toBe("not-a-number");
  });
});
