import { describe, expect, it } from "vitest";
import { format } from "date-fns";
import { formatAgo, formatTime, formatTimestamp, fromDateTimeLocal, tickPattern, timeTicks, toDateTimeLocal } from "../../../components/format/time";
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

describe("formatTime", () => {
  // date-fns (a dev dependency only) is the reference for every pattern the dashboard uses.
  const PATTERNS = ["MMM d", "MMM d HH:mm", "HH:mm:ss", "HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "MMM d HH:mm:ss"];

  it("formats as date-fns does, in the local time zone", () => {
    let ts = new Date(1999, 11, 31, 23, 59, 59).getTime();
    for (let i = 0; i < 400; i++) {
      for (const pattern of PATTERNS) expect(formatTime(ts, pattern), `${pattern} at ${ts}`).toBe(format(ts, pattern));
      ts += 86_400_000 * 17 + 3_723_457;
    }
  });

  it("pads and names as the patterns say", () => {
    const ts = new Date(2025, 2, 5, 7, 4, 9).getTime();
    expect(formatTime(ts, "MMM d HH:mm")).toBe("Mar 5 07:04");
    expect(formatTimestamp(ts)).toBe("2025-03-05 07:04:09");
    expect(formatTime(ts, "yyyy-MM-dd'T'HH:mm")).toBe("2025-03-05T07:04");
  });
});

