import { describe, expect, it } from "vitest";
import { buildCandidates, compare, evaluateCondition } from "../../../server/alerting/conditions";
import { emptyDataSources, type InstantSample } from "../../../server/alerting/data-sources";
import { fingerprint, formatLabels } from "../../../server/alerting/labels";
import { matchesAll } from "../../../server/alerting/matchers";
import { parseRule } from "../../../server/alerting/rule-schema";
import { expandTemplate, humanize, humanizeDuration, templateProblems } from "../../../server/alerting/template";

describe("fingerprints", () => {
  it("equal Prometheus' model.LabelSet.Fingerprint()", () => {
    // Test vectors from prometheus/common model/signature_test.go.
    expect(BigInt(`0x${fingerprint({})}`).toString()).toBe("14695981039346656037");
    expect(BigInt(`0x${fingerprint({ name: "garland, briggs", fear: "love is not enough" })}`).toString()).toBe("5799056148416392346");
    expect(fingerprint({ a: "1" })).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint({ a: "1", b: "" })).toBe(fingerprint({ a: "1" }));
  });

  it("prints label sets sorted", () => {
    expect(formatLabels({ b: "2", a: 'x"y' })).toBe('{a="x\\"y", b="2"}');
  });
});

describe("matchers", () => {
  it("anchor regexes and treat a missing label as empty", () => {
    const labels = { controller: "pods-east", severity: "warning" };
    expect(matchesAll([{ name: "controller", op: "=~", value: "pods" }], labels)).toBe(false);
    expect(matchesAll([{ name: "controller", op: "=~", value: "pods.*" }], labels)).toBe(true);
    expect(matchesAll([{ name: "controller", op: "!~", value: "nodes|pods-east" }], labels)).toBe(false);
    expect(matchesAll([{ name: "team", op: "=", value: "" }], labels)).toBe(true);
    expect(matchesAll([{ name: "team", op: "!=", value: "" }], labels)).toBe(false);
    expect(matchesAll([], labels)).toBe(true);
  });
});

describe("templating", () => {
  it("expands $labels, $value and humanize functions", () => {
    const data = { labels: { controller: "pods" }, value: 1234567, externalURL: "http://x" };
    expect(expandTemplate("{{ $labels.controller }} has {{ $value }}", data)).toBe("pods has 1234567");
    expect(expandTemplate("{{$value|humanize}}", data)).toBe("1.235M");
    expect(expandTemplate("{{ $labels.missing }}!", data)).toBe("!");
    expect(expandTemplate("see {{ $externalURL }}", data)).toBe("see http://x");
    expect(expandTemplate("{{ $labels.controller | toUpper }}", data)).toBe("PODS");
    expect(expandTemplate("{{ $value | humanizePercentage }}", { labels: {}, value: 0.1234 })).toBe("12.34%");
  });

  it("humanizes like Prometheus", () => {
    expect(humanize(0)).toBe("0");
    expect(humanize(999)).toBe("999");
    expect(humanize(1000)).toBe("1k");
    expect(humanize(0.001234)).toBe("1.234m");
    expect(humanize(-2500)).toBe("-2.5k");
    expect(humanizeDuration(3_725)).toBe("1h 2m 5s");
    expect(humanizeDuration(0.25)).toBe("250ms");
    expect(humanizeDuration(90_061)).toBe("1d 1h 1m 1s");
  });

  it("reports unsupported expressions and unbalanced braces", () => {
    expect(templateProblems("{{ $labels.controller }} {{ $value | humanize }}")).toEqual([]);
    expect(templateProblems("{{ range . }}")[0]).toMatch(/unsupported template expression/);
    expect(templateProblems("{{ $value }")).toContain("unbalanced {{ }} braces");
  });
});

describe("conditions", () => {
  it("compares with every comparator", () => {
    expect([compare(2, ">", 1), compare(1, ">=", 1), compare(0, "<", 1), compare(1, "<=", 1), compare(1, "==", 1), compare(2, "!=", 1)]).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(compare(Number.NaN, ">", 0) || compare(Number.NaN, "<", 0)).toBe(false);
  });

  it("filters a threshold query's samples and builds labels like Prometheus", async () => {
    const rule = parseRule({
      name: "Deep",
      kind: "threshold",
      spec: { query: { metric: "workqueue_depth" }, comparator: ">", value: 10 },
      labels: { severity: "{{ $labels.tier }}", controller: "override" },
      annotations: { summary: "{{ $labels.controller }} at {{ $value }}" },
    });
    const samples = await evaluateCondition(
      rule,
      {
        ...emptyDataSources,
        queryInstant: async (): Promise<InstantSample[]> => [
          { labels: { __name__: "workqueue_depth", controller: "pods", tier: "gold" }, value: 20 },
          { labels: { controller: "nodes", tier: "x" }, value: 5 },
        ],
      },
      0,
    );
    expect(samples).toEqual([{ labels: { controller: "pods", tier: "gold" }, value: 20 }]);
    const [c] = buildCandidates(rule, samples);
    expect(c.labels).toEqual({ alertname: "Deep", controller: "override", severity: "gold", tier: "gold" });
    expect(c.annotations.summary).toBe("pods at 20");
  });

  it("absent fires with the equality matchers as labels when the newest sample is too old", async () => {
    const rule = parseRule({
      name: "NoData",
      kind: "absent",
      spec: { query: { metric: "up", matchers: [{ name: "job", op: "=", value: "ctrl" }, { name: "x", op: "=~", value: "y" }] }, forMs: "5m" },
    });
    const at = (age: number | null) => evaluateCondition(rule, { ...emptyDataSources, lastSampleAge: async () => age }, 0);
    expect(await at(60_000)).toEqual([]);
    expect(await at(300_001)).toEqual([{ labels: { job: "ctrl" }, value: 1 }]);
    expect(await at(null)).toEqual([{ labels: { job: "ctrl" }, value: 1 }]);
  });

  it("anomaly rules take open windows at or above minScore on the chosen series", async () => {
    const rule = parseRule({ name: "Anom", kind: "anomaly", spec: { match: [{ name: "controller", op: "=", value: "pods" }], minScore: 0.9 } });
    const windows = [
      { seriesKey: "depth{pods}", controller: "pods", detector: "robust", direction: "above" as const, peakScore: 0.95, startAt: 0 },
      { seriesKey: "lag{pods}", controller: "pods", detector: "robust", direction: "below" as const, peakScore: 0.5, startAt: 0 },
      { seriesKey: "depth{nodes}", controller: "nodes", detector: "robust", direction: "above" as const, peakScore: 0.99, startAt: 0 },
    ];
    const out = await evaluateCondition(rule, { ...emptyDataSources, openAnomalyWindows: async () => windows }, 0);
    expect(out).toEqual([{ labels: { series_key: "depth{pods}", controller: "pods", direction: "above", detector: "robust" }, value: 0.95 }]);
  });

  it("leak rules need the trend test's verdict, the slope and the sustained growth", async () => {
    const rule = parseRule({ name: "Leak", kind: "leak", spec: { controller: "pods", minSlope: 1, sustainedMs: "10m" } });
    const trends = [
      { controller: "pods", type: "Timeout", slopePerMinute: 3, growing: true, growingForMs: 700_000, current: 40 },
      { controller: "pods", type: "TCPSocketWrap", slopePerMinute: 3, growing: true, growingForMs: 60_000, current: 9 },
      { controller: "pods", type: "FSReqCallback", slopePerMinute: 0.5, growing: true, growingForMs: 900_000, current: 9 },
      { controller: "pods", type: "FileHandle", slopePerMinute: 4, growing: false, growingForMs: 900_000, current: 9 },
      { controller: "nodes", type: "Timeout", slopePerMinute: 9, growing: true, growingForMs: 900_000, current: 9 },
    ];
    const out = await evaluateCondition(rule, { ...emptyDataSources, leakTrends: async () => trends }, 0);
    expect(out).toEqual([{ labels: { controller: "pods", type: "Timeout" }, value: 3 }]);
  });
});
