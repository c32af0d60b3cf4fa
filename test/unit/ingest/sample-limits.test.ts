import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptedTimestamps, DEFAULT_SAMPLE_LIMITS, seriesRejection, timestampRejection } from "../../../server/ingest/sample-limits";
import { writeIsolatingPoison } from "../../../server/store/poison-isolation";

const NOW = Date.UTC(2026, 11, 2);

describe("sample limits at the edge", () => {
  it("the accepted range is exactly the timestamps timestampRejection accepts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.oneof(fc.integer({ min: -3e14, max: 3e14 }), fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }).map((d) => NOW + d)),
        (maxAgeMs, maxFutureMs, ts) => {
          const limits = { ...DEFAULT_SAMPLE_LIMITS, maxAgeMs, maxFutureMs };
          const { from, to } = acceptedTimestamps(NOW, limits);
          expect(ts >= from && ts <= to).toBe(timestampRejection(ts, NOW, limits) === undefined);
          expect(timestampRejection(from, NOW, limits)).toBeUndefined();
          expect(timestampRejection(to, NOW, limits)).toBeUndefined();
        },
      ),
    );
  });

  it("accepts timestamps within the window of now and refuses the rest, whatever the limits", () => {
    expect(timestampRejection(NOW, NOW, DEFAULT_SAMPLE_LIMITS)).toBeUndefined();
    expect(timestampRejection(NOW - 3_600_000, NOW, DEFAULT_SAMPLE_LIMITS)).toBeUndefined();
    expect(timestampRejection(NOW - 2 * 86_400_000, NOW, DEFAULT_SAMPLE_LIMITS)?.message).toMatch(/more than 86400 s in the past/);
    expect(timestampRejection(NOW + 3_600_000, NOW, DEFAULT_SAMPLE_LIMITS)?.message).toMatch(/more than 600 s in the future/);
    const off = { ...DEFAULT_SAMPLE_LIMITS, maxAgeMs: 0, maxFutureMs: 0 };
    for (const ts of [253_402_300_800_000, -62_198_755_200_000, 8.64e15, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(timestampRejection(ts, NOW, off)?.reason).toBe("timestamp");
    }
  });

  it("refuses series over the label limits with a message that never repeats the whole value", () => {
    const big = "x".repeat(1_000_000);
    const rejection = seriesRejection("m", { blob: big }, DEFAULT_SAMPLE_LIMITS);
    expect(rejection?.reason).toBe("label_value_length");
    expect(rejection?.message.length).toBeLessThan(200);
    expect(seriesRejection("m", Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, "v"])), DEFAULT_SAMPLE_LIMITS)?.reason).toBe("label_limit");
    expect(seriesRejection("m", { ["n".repeat(300)]: "v" }, DEFAULT_SAMPLE_LIMITS)?.reason).toBe("label_name_length");
    expect(seriesRejection("m", { a: "nul\u0000" }, DEFAULT_SAMPLE_LIMITS)?.reason).toBe("label_value_invalid");
    expect(seriesRejection("m", { a: "ok" }, { ...DEFAULT_SAMPLE_LIMITS, maxValueLength: 0 })).toBeUndefined();
  });
});

describe("poison-row isolation", () => {
  const poisonError = Object.assign(new Error("date/time field value out of range"), { code: "22008" });

  it("stores every good row and reports exactly the poison ones, in O(poison · log n) extra writes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.uniqueArray(fc.nat(299), { maxLength: 5 }), async (length, bad) => {
        const poison = new Set(bad.filter((i) => i < length));
        const stored = new Set<number>();
        let writes = 0;
        const found = await writeIsolatingPoison(length, async (start, end) => {
          writes += 1;
          for (let i = start; i < end; i += 1) if (poison.has(i)) throw poisonError;
          for (let i = start; i < end; i += 1) stored.add(i);
        });
        expect(new Set(found.map((p) => p.index))).toEqual(poison);
        expect(stored.size).toBe(length - poison.size);
        expect(writes).toBeLessThanOrEqual(1 + 2 * poison.size * Math.ceil(Math.log2(length + 1)) + 1);
      }),
    );
  });

  it("lets an outage error through (the caller retries the whole batch)", async () => {
    const outage = Object.assign(new Error("Connection terminated"), {});
    await expect(writeIsolatingPoison(10, async () => Promise.reject(outage))).rejects.toBe(outage);
  });
});
