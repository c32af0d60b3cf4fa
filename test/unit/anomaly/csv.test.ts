import { describe, expect, it } from "vitest";
import { CsvError, parseSeriesCsv, parseTimestamp } from "../../../server/anomaly/csv";

describe("backtest CSV", () => {
  it("reads ISO-8601, epoch seconds and epoch milliseconds", () => {
    expect(parseTimestamp("2026-01-05T10:00:00Z")).toBe(Date.UTC(2026, 0, 5, 10));
    expect(parseTimestamp("2026-01-05 10:00:00+02:00")).toBe(Date.UTC(2026, 0, 5, 8));
    expect(parseTimestamp("1767607200")).toBe(1_767_607_200_000);
    expect(parseTimestamp("1767607200.5")).toBe(1_767_607_200_500);
    expect(parseTimestamp("1767607200000")).toBe(1_767_607_200_000);
    expect(parseTimestamp("yesterday")).toBeUndefined();
    expect(parseTimestamp("2026-13-45")).toBeUndefined();
  });

  it("accepts an optional header, blank lines and quoted cells, keeping the timestamp text", () => {
    const withHeader = parseSeriesCsv('timestamp,value\n2026-01-05T00:00:00Z,1\n\n"2026-01-05T00:00:05Z","2.5"\n');
    expect(withHeader.map((r) => [r.line, r.timestampText, r.value])).toEqual([
      [2, "2026-01-05T00:00:00Z", 1],
      [4, "2026-01-05T00:00:05Z", 2.5],
    ]);
    expect(parseSeriesCsv("10,1\n20,-3e2\n").map((r) => [r.ts, r.value])).toEqual([
      [10_000, 1],
      [20_000, -300],
    ]);
  });

  it("keeps rows in file order, repeated and out-of-order ones included, reads missing values as NaN and offset-less times as UTC", () => {
    const rows = parseSeriesCsv("timestamp,value\n2026-03-29 01:00:00,1\n2026-03-29 01:00:00,2\n2026-03-29T00:30,3\n2026-03-29T02:00:00,\n2026-03-29T03:00:00,NaN\n");
    expect(rows.map((r) => r.ts)).toEqual([
      Date.UTC(2026, 2, 29, 1),
      Date.UTC(2026, 2, 29, 1),
      Date.UTC(2026, 2, 29, 0, 30),
      Date.UTC(2026, 2, 29, 2),
      Date.UTC(2026, 2, 29, 3),
    ]);
    expect(rows.map((r) => r.value)).toEqual([1, 2, 3, Number.NaN, Number.NaN]);
  });

  it("names the line and the problem of a bad row", () => {
    const cases: Array<[string, RegExp]> = [
      ["ts,value\n10,1\n20,abc\n", /^line 3: value "abc" is not a number/],
      ["10,1\n20\n", /^line 2: expected 2 columns/],
      ["10,1\nnot-a-time,2\n", /^line 2: timestamp "not-a-time" is neither ISO-8601 nor epoch/],
      ["10,1\n20,1,2\n", /^line 2: expected 2 columns "timestamp,value", found 3/],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        parseSeriesCsv(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CsvError);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
