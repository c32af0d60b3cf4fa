import { describe, expect, it } from "vitest";
import {
  parseRangeParams,
  parseRefreshParams,
  rangeToParams,
  refreshToParams,
  resolveRange,
} from "../../../components/controls/time-range";
import { formatMatchers, matchersFromLabels } from "../../../components/forms/matchers";
import { emptyRuleFormValues, ruleExpression } from "../../../components/forms/rule-values";
import { pairsToRecord } from "../../../components/forms/key-values";
import { readUrlState, writeUrlState } from "../../../components/hooks/url-state";
import { silenceState } from "../../../components/tables/SilencesTable";

describe("time range in the URL", () => {
  it("round-trips presets and custom ranges", () => {
    const custom = { kind: "custom" as const, from: Date.UTC(2025, 0, 15, 10), to: Date.UTC(2025, 0, 15, 12) };
    expect(parseRangeParams(rangeToParams(custom))).toEqual(custom);
    expect(parseRangeParams(rangeToParams({ kind: "preset", preset: "6h" }))).toEqual({ kind: "preset", preset: "6h" });
    expect(rangeToParams(custom).from).toBe("2025-01-15T10:00:00Z");
  });

  it("falls back to the default for junk and inverted ranges", () => {
    expect(parseRangeParams({ range: "3y" })).toEqual({ kind: "preset", preset: "1h" });
    expect(parseRangeParams({ from: "2025-01-15T12:00:00Z", to: "2025-01-15T10:00:00Z" })).toEqual({ kind: "preset", preset: "1h" });
  });

  it("resolves presets against now", () => {
    expect(resolveRange({ kind: "preset", preset: "15m" }, 1_000_000)).toEqual({ from: 100_000, to: 1_000_000 });
  });

  it("round-trips refresh settings", () => {
    const s = { intervalMs: 30_000, paused: true };
    expect(parseRefreshParams(refreshToParams(s))).toEqual(s);
    expect(parseRefreshParams({ refresh: "garbage" })).toEqual({ intervalMs: 10_000, paused: false });
  });
});

describe("url state", () => {
  const defaults = { range: "1h", tab: "charts" };
  it("reads defaults for absent params", () => {
    expect(readUrlState(new URLSearchParams("tab=tables&x=1"), defaults)).toEqual({ range: "1h", tab: "tables" });
  });

  it("writes a patch, drops defaults and nulls, keeps other params", () => {
    expect(writeUrlState("x=1&tab=tables", { range: "6h", tab: "charts" }, defaults)).toBe("range=6h&x=1");
    expect(writeUrlState("range=6h", { range: null }, defaults)).toBe("");
  });
});

describe("form helpers", () => {
  it("describes a threshold rule as an expression", () => {
    const v = { ...emptyRuleFormValues(), metric: "workqueue_work_duration_seconds", fn: "histogram_quantile" as const, quantile: "0.99", aggregation: "sum" as const, by: "controller", value: "2", matchers: [{ name: "controller", op: "=" as const, value: "pods" }] };
    expect(ruleExpression(v)).toBe('histogram_quantile(0.99, sum by (controller, le) (rate(workqueue_work_duration_seconds_bucket{controller="pods"}))) > 2');
    expect(ruleExpression({ ...emptyRuleFormValues(), metric: "workqueue_depth", comparator: ">=", value: "40" })).toBe("workqueue_depth >= 40");
  });

  it("builds silence matchers from labels and knows silence states", () => {
    expect(formatMatchers(matchersFromLabels({ b: "2", a: "1" }))).toBe('{a="1", b="2"}');
    expect(silenceState({ startsAt: 10, endsAt: 20 }, 5)).toBe("pending");
    expect(silenceState({ startsAt: 10, endsAt: 20 }, 15)).toBe("active");
    expect(silenceState({ startsAt: 10, endsAt: 20 }, 20)).toBe("expired");
  });

  it("turns key/value rows into a record", () => {
    expect(pairsToRecord([{ key: " severity ", value: "page" }, { key: "", value: "x" }])).toEqual({ severity: "page" });
  });
});
