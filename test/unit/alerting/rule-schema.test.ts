import { describe, expect, it } from "vitest";
import { defaultRules } from "../../../server/alerting/default-rules";
import { parseRule, RuleValidationError, validateRule } from "../../../server/alerting/rule-schema";

const valid = {
  name: "HighDepth",
  kind: "threshold",
  spec: { query: { metric: "workqueue_depth", matchers: [{ name: "controller", op: "=", value: "pods" }] }, comparator: ">", value: 10 },
  for: "2m",
  keepFiringFor: "30s",
  interval: "15s",
  labels: { severity: "warning" },
  annotations: { summary: "{{ $labels.controller }} depth {{ $value | humanize }}" },
};

function issuesOf(input: unknown): string[] {
  const result = validateRule(input);
  if (result.ok) throw new Error("expected the rule to be refused");
  return result.issues;
}

function withField(path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(valid) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  if (value === undefined) delete node[path[path.length - 1]];
  else node[path[path.length - 1]] = value;
  return copy;
}

describe("rule validation", () => {
  it("accepts a valid rule and normalises durations to milliseconds", () => {
    const rule = parseRule(valid);
    expect(rule.forMs).toBe(120_000);
    expect(rule.keepFiringForMs).toBe(30_000);
    expect(rule.intervalMs).toBe(15_000);
    expect(rule.kind).toBe("threshold");
    if (rule.kind === "threshold") expect(rule.spec.query.fn).toBe("raw");
  });

  it("accepts the stored form (forMs/intervalMs numbers) as well", () => {
    const { for: _for, interval: _interval, ...rest } = valid;
    const rule = parseRule({ ...rest, forMs: 60_000, intervalMs: 5_000 });
    expect(rule.forMs).toBe(60_000);
    expect(rule.intervalMs).toBe(5_000);
  });

  it.each([
    [["name"], "", /^name: must not be empty/],
    [["name"], undefined, /^name: is required/],
    [["kind"], "gauge", /^kind: must be one of threshold, anomaly, leak, absent/],
    [["for"], "two minutes", /^for: "two minutes" is not a duration/],
    [["keepFiringFor"], -5, /^keepFiringFor: "-5" is not a duration/],
    [["interval"], "10ms", /^interval: must be at least 1s/],
    [["labels"], "severity=warning", /^labels: must be an object/],
    [["labels", "alertname"], "X", /^labels\.alertname: is set from the rule name/],
    [["labels", "bad-name"], "x", /^labels\.bad-name: is not a valid name/],
    [["annotations", "summary"], "{{ .Labels.x }}", /^annotations\.summary: unsupported template expression/],
    [["annotations", "summary"], "{{ $value | shout }}", /^annotations\.summary: unknown template function "shout"/],
    [["enabled"], "yes", /^enabled: must be true or false/],
    [["spec", "comparator"], "=>", /^spec\.comparator: must be one of >, >=, <, <=, ==, !=/],
    [["spec", "value"], "ten", /^spec\.value: must be a number/],
    [["spec", "value"], Number.POSITIVE_INFINITY, /^spec\.value: must be a (finite )?number/],
    [["spec", "query", "metric"], "workqueue-depth", /^spec\.query\.metric: must be a metric name/],
    [["spec", "query", "metric"], undefined, /^spec\.query\.metric: is required/],
    [["spec", "query", "fn"], "avg_over_time", /^spec\.query\.fn: must be one of raw, rate, increase, deriv, histogram_quantile/],
    [["spec", "query", "agg"], "count", /^spec\.query\.agg: must be one of sum, avg, max, min/],
    [["spec", "query", "rangeMs"], "5m", /^spec\.query\.rangeMs: only applies to rate, increase, deriv and histogram_quantile/],
    [["spec", "query", "by"], ["controller"], /^spec\.query\.by: needs agg/],
    [["spec", "query", "matchers"], [{ name: "1x", op: "=", value: "a" }], /^spec\.query\.matchers\.0\.name: must be a label name/],
    [["spec", "query", "matchers"], [{ name: "x", op: "~", value: "a" }], /^spec\.query\.matchers\.0\.op: must be one of =, !=, =~, !~/],
    [["spec", "query", "matchers"], [{ name: "x", op: "=~", value: "(" }], /^spec\.query\.matchers\.0\.value: is not a valid regular expression/],
    [["spec", "extra"], 1, /^spec: Unrecognized key/],
  ] as [string[], unknown, RegExp][])("refuses %j = %j with a message naming the field", (path, value, expected) => {
    const issues = issuesOf(withField(path, value));
    expect(issues.some((i) => expected.test(i)), issues.join("\n")).toBe(true);
  });

  it("requires q for histogram_quantile and refuses it elsewhere", () => {
    expect(issuesOf(withField(["spec", "query", "fn"], "histogram_quantile"))).toContain("spec.query.q: is required for histogram_quantile: the quantile, e.g. 0.99");
    expect(issuesOf(withField(["spec", "query", "q"], 0.9))).toContain("spec.query.q: only applies to fn histogram_quantile");
    const rule = parseRule(withField(["spec", "query"], { metric: "x", fn: "histogram_quantile", q: 0.99 }));
    if (rule.kind === "threshold") expect(rule.spec.query.rangeMs).toBe(300_000);
  });

  it("validates the kind-specific spec of anomaly, leak and absent rules", () => {
    expect(issuesOf({ name: "a", kind: "anomaly", spec: {} })[0]).toMatch(/^spec\.seriesKey: either seriesKey .* or match/);
    expect(issuesOf({ name: "a", kind: "anomaly", spec: { seriesKey: "x", minScore: 1.5 } })).toContain("spec.minScore: must be at most 1");
    expect(issuesOf({ name: "l", kind: "leak", spec: { minSlope: 0 } })).toContain("spec.minSlope: must be above 0 (resources gained per minute)");
    expect(issuesOf({ name: "l", kind: "leak", spec: {} })[0]).toMatch(/^spec\.minSlope: must be a number/);
    expect(issuesOf({ name: "b", kind: "absent", spec: { query: { metric: "up" } } })[0]).toMatch(/^spec\.forMs:/);
    expect(issuesOf({ name: "b", kind: "absent", spec: { query: { metric: "up" }, forMs: "500ms" } })).toContain("spec.forMs: must be at least 1s");
  });

  it("reports outer and spec problems together", () => {
    const issues = issuesOf({ ...withField(["name"], ""), spec: { query: { metric: "9" }, comparator: "?", value: 1 } });
    expect(issues.some((i) => i.startsWith("name:"))).toBe(true);
    expect(issues.some((i) => i.startsWith("spec.query.metric:"))).toBe(true);
    expect(issues.some((i) => i.startsWith("spec.comparator:"))).toBe(true);
  });

  it("throws RuleValidationError listing every issue", () => {
    expect(() => parseRule({ name: "x" })).toThrow(RuleValidationError);
    try {
      parseRule({ name: "x", kind: "threshold", spec: {} });
    } catch (error) {
      expect((error as RuleValidationError).issues.length).toBeGreaterThanOrEqual(3);
    }
  });

  it("builds one built-in rule per condition: alertname without the controller, the controller a label", () => {
    const rules = defaultRules(["pods", "deployments", "pods"]);
    expect(rules.map((r) => r.name)).toEqual(["QueueBackingUp", "QueueGrowing", "ReconcileErrors", "StuckWorker", "LeakGrowth"]);
    expect(defaultRules([])).toEqual([]);
    for (const rule of rules) {
      expect(rule.name).not.toContain("/");
      expect(rule.labels).not.toHaveProperty("controller");
      // Over Loopscope's own series, one alert per controller (by controller).
      if (rule.kind === "threshold") {
        expect(rule.spec.query.matchers).toEqual([{ name: "job", op: "=", value: "loopscope" }]);
        expect(rule.spec.query.by).toEqual(["controller"]);
      }
    }
    const errors = rules.find((r) => r.name === "ReconcileErrors");
    expect(errors?.forMs).toBe(120_000);
    expect(errors?.kind === "threshold" && errors.spec.query.fn).toBe("rate");
    const stuck = rules.find((r) => r.name === "StuckWorker");
    expect(stuck?.kind === "threshold" && stuck.spec.value).toBe(60);
    expect(rules.find((r) => r.name === "LeakGrowth")?.kind).toBe("leak");
  });
});
