import { describe, expect, it } from "vitest";
import { boundLiteral, DAY_MS, dayExpired, dayOfPartitionName, dayPartition, daysAround, daysOfSamples, rollupDay, sampleDay } from "../../../server/store/day-partitions";

const D = Date.UTC(2027, 0, 10);

describe("day partitions", () => {
  it("a day's samples partition holds (D, D + 1 day] and its rollup partition [D, D + 1 day)", () => {
    const p = dayPartition(D);
    expect(p.samples).toEqual({ name: "samples_p20270110", from: D + 1, to: D + DAY_MS + 1 });
    expect(p.rollup).toEqual({ name: "samples_1m_p20270110", from: D, to: D + DAY_MS });
    expect(sampleDay(D)).toBe(D - DAY_MS);
    expect(sampleDay(D + 1)).toBe(D);
    expect(sampleDay(D + DAY_MS)).toBe(D);
    // The rollup minute of a sample (bucket s covers (s, s + 60 s]) is in the same day as the sample.
    for (const ts of [D + 1, D + 60_000, D + 60_001, D + DAY_MS, D + DAY_MS - 1]) {
      const bucket = Math.ceil(ts / 60_000) * 60_000 - 60_000;
      expect(rollupDay(bucket)).toBe(sampleDay(ts));
    }
  });

  it("names parse back to their day; other names do not", () => {
    expect(dayOfPartitionName("samples_p20270110")).toBe(D);
    expect(dayOfPartitionName("samples_1m_p20270110")).toBeUndefined();
    expect(dayOfPartitionName("samples_p20270230")).toBeUndefined();
    expect(dayOfPartitionName("samples_old")).toBeUndefined();
    expect(() => dayPartition(D + 5)).toThrow(/midnight/);
  });

  it("days of a batch, days around now, expiry and bounds", () => {
    expect(daysOfSamples([D + 5, D, D + DAY_MS + 7, D + 9])).toEqual([D - DAY_MS, D, D + DAY_MS]);
    expect(daysAround(D + 3_600_000, 1, 2)).toEqual([D - DAY_MS, D, D + DAY_MS, D + 2 * DAY_MS]);
    expect(dayExpired(D, D + DAY_MS)).toBe(false); // its last sample (D + 1 day) is not older than the cutoff
    expect(dayExpired(D, D + DAY_MS + 1)).toBe(true);
    expect(boundLiteral(D + 1)).toBe("2027-01-10 00:00:00.001+00");
  });
});
