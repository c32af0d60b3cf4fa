import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../components/format/duration";
import { formatAgo, fromDateTimeLocal, tickPattern, timeTicks, toDateTimeLocal } from "../../../components/format/time";
import { formatBytes, formatCount, formatSeconds, formatValue, significant } from "../../../components/format/units";

describe("value formatting", () => {
  it("formats seconds in the readable unit", () => {
    expect(formatSeconds(0)).toBe("0 s");
    expect(formatSeconds(0.000_42)).toBe("420 µs");
    expect(formatSeconds(0.0125)).toBe("12.5 ms");
    expect(formatSeconds(3.21)).toBe("3.21 s");
    expect(formatSeconds(245)).toBe("4m 05s");
    expect(formatSeconds(7_800)).toBe("2h 10m");
    expect(formatSeconds(0.012_345, "exact")).toBe("12.35 ms");
  });

  it("formats bytes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(20 * 1024 * 1024)).toBe("20 MiB");
  });

  it("formats rates, counts and ratios", () => {
    expect(formatValue(4.5, "ops/s")).toBe("4.5/s");
    expect(formatValue(1234, "ops/s")).toBe("1.23k/s");
    expect(formatValue(0.256, "ratio")).toBe("25.6%");
    expect(formatValue(null, "s")).toBe("–");
    expect(formatCount(950)).toBe("950");
    expect(formatCount(3_400_000)).toBe("3.4M");
    expect(formatCount(12_345, "exact")).toBe("12,345");
    expect(significant(Number.POSITIVE_INFINITY, 3)).toBe("+Inf");
  });
});

describe("durations", () => {
  it("parses Prometheus durations and rejects anything else", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("5 minutes")).toBeNull();
    expect(parseDuration("")).toBeNull();
    expect(parseDuration("m5")).toBeNull();
  });

  it("round-trips through formatDuration", () => {
    for (const ms of [1000, 90_000, 5_400_000, 86_400_000 + 1000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(0)).toBe("0s");
  });
});

describe("time axis", () => {
  it("puts ticks on aligned local boundaries inside the range", () => {
    const from = new Date(2025, 0, 15, 10, 7, 13).getTime();
    const to = from + 3_600_000;
    const ticks = timeTicks(from, to, 6);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(7);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(from);
      expect(t).toBeLessThanOrEqual(to);
      expect(new Date(t).getMinutes() % 10).toBe(0);
      expect(new Date(t).getSeconds()).toBe(0);
    }
  });

  it("uses day ticks at midnight for a week", () => {
    const from = new Date(2025, 0, 8, 12, 0).getTime();
    const ticks = timeTicks(from, from + 7 * 86_400_000, 6);
    for (const t of ticks) expect(new Date(t).getHours()).toBe(0);
    expect(tickPattern(7 * 86_400_000, 86_400_000)).toBe("MMM d");
  });

  it("formats relative times and datetime-local values", () => {
    const now = 1_000_000_000_000;
    expect(formatAgo(now - 500, now)).toBe("just now");
    expect(formatAgo(now - 42_000, now)).toBe("42s ago");
    expect(formatAgo(now + 300_000, now)).toBe("in 5m");
    const ts = new Date(2025, 0, 15, 10, 7).getTime();
    expect(fromDateTimeLocal(toDateTimeLocal(ts))).toBe(ts);
    expect(fromDateTimeLocal("not a date")).toBeNull();
  });
});
