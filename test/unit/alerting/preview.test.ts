import { describe, expect, it } from "vitest";
import { emptyDataSources, type RuleDataSources } from "../../../server/alerting/data-sources";
import { instantVectorsAt, previewRule, replayEvaluations, replayStep, replayTimes } from "../../../server/alerting/preview";
import { parseRule } from "../../../server/alerting/rule-schema";
import { recorderSources } from "../../../server/alerting/sources";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { MemorySampleSource } from "../../../server/query/sample-source";

const MIN = 60_000;

/** A depth series: 150 between minute 10 and 20 (inclusive) and at minute 30 only, else 5. */
const sources: RuleDataSources = {
  queryInstant: async (_query, at) => {
    const minute = at / MIN;
    const high = (minute >= 10 && minute <= 20) || minute === 30;
    return [{ labels: { controller: "pods" }, value: high ? 150 : 5 }];
  },
  openAnomalyWindows: async () => [],
  leakTrends: async () => [],
  lastSampleAge: async () => 0,
};

describe("rule preview", () => {
  it("replays the rule at its interval with `for` and reports firing spans", async () => {
    const rule = parseRule({
      name: "Deep",
      kind: "threshold",
      spec: { query: { metric: "workqueue_depth" }, comparator: ">", value: 100 },
      for: "2m",
      interval: "1m",
    });
    const preview = await previewRule(rule, sources, { from: 0, to: 40 * MIN });
    expect(preview.stepMs).toBe(MIN);
    expect(preview.evaluations).toBe(41);
    // Pending from 10, firing at 12 (for 2m), resolved at 21; the blip at 30 never fires.
    expect(preview.spans).toEqual([{ fingerprint: expect.any(String), labels: { alertname: "Deep", controller: "pods" }, start: 12 * MIN, end: 21 * MIN, peakValue: 150 }]);
  });

  it("coarsens the step to stay within maxSteps and reports source errors", async () => {
    const rule = parseRule({ name: "X", kind: "threshold", spec: { query: { metric: "m" }, comparator: ">", value: 1 }, interval: "1s" });
    const failing: RuleDataSources = { ...sources, queryInstant: async () => Promise.reject(new Error("no history before start")) };
    const preview = await previewRule(rule, failing, { from: 0, to: 86_400_000, maxSteps: 100 });
    expect(preview.stepMs).toBe(864_000);
    expect(preview.spans).toEqual([]);
    expect(preview.errors[0]).toMatch(/no history before start/);
  });

  it("leaves a span open when the rule still fires at the end", async () => {
    const rule = parseRule({ name: "Y", kind: "threshold", spec: { query: { metric: "m" }, comparator: ">", value: 100 }, interval: "1m" });
    const preview = await previewRule(rule, sources, { from: 0, to: 15 * MIN });
    expect(preview.spans).toMatchObject([{ start: 10 * MIN, end: null }]);
  });
});

describe("rule preview over recorded data (issue 16: a visible spike must count)", () => {
  const S = 1_000;
  const DAY = 86_400_000;
  // A day of a queue depth scraped every 15 s: 5, with one 3-minute spike to 150 at 10:01:30–10:04:30
  // (between two 5-minute marks, so a preview stepping every 5 minutes never sees it), and a
  // 45-second blip to 150 at 15:00:30.
  const FROM = 1_800_000_000_000 - (1_800_000_000_000 % DAY);
  const SPIKE = FROM + 10 * 3_600_000 + 90 * S;
  const BLIP = FROM + 15 * 3_600_000 + 30 * S;
  const depthAt = (t: number) => ((t >= SPIKE && t < SPIKE + 180 * S) || (t >= BLIP && t < BLIP + 45 * S) ? 150 : 5);
  const samples: { t: number; v: number }[] = [];
  for (let t = FROM - 600 * S; t <= FROM + DAY; t += 15 * S) samples.push({ t, v: depthAt(t) });
  const memory = new MemorySampleSource();
  memory.add("workqueue_depth", { controller: "pods", name: "pods" }, samples, "gauge");
  const errors: { t: number; v: number }[] = [];
  // An error counter that jumps by 90 at 10:02:00 (one scrape), else flat.
  for (let t = FROM - 600 * S; t <= FROM + DAY; t += 15 * S) errors.push({ t, v: t >= SPIKE + 30 * S ? 90 : 0 });
  memory.add("controller_runtime_reconcile_errors_total", { controller: "pods" }, errors, "counter");
  const recorded: RuleDataSources = { ...emptyDataSources, ...recorderSources((q) => runRangeQuery(memory, rangeQuerySchema.parse(q))) };
  const deep = (extra: Record<string, unknown>) =>
    parseRule({ name: "Deep", kind: "threshold", spec: { query: { metric: "workqueue_depth" }, comparator: ">", value: 100 }, ...extra });

  it("fires for a spike that lasts past `for`, replayed at the rule's interval", async () => {
    const preview = await previewRule(deep({ for: "1m", interval: "30s" }), recorded, { from: FROM, to: FROM + DAY });
    // Pending at 10:01:30 (its first sample), firing a minute later, resolved at the first
    // evaluation that sees 5 again. The 45 s blip is shorter than `for`: never fires.
    expect(preview.spans).toEqual([
      { fingerprint: expect.any(String), labels: { alertname: "Deep", controller: "pods", name: "pods" }, start: SPIKE + 60 * S, end: SPIKE + 180 * S, peakValue: 150 },
    ]);
    expect(preview.stepMs).toBe(30 * S);
    expect(preview.evaluations).toBe(2_881);
    expect(preview.errors).toEqual([]);
  });

  it("with `for` 0 both the spike and the 45 s blip fire; a 15 s rule sees every scrape", async () => {
    const at30s = await previewRule(deep({ interval: "30s" }), recorded, { from: FROM, to: FROM + DAY });
    expect(at30s.spans.map((s) => [s.start, s.end])).toEqual([
      [SPIKE, SPIKE + 180 * S],
      [BLIP, BLIP + 60 * S],
    ]);
    const at15s = await previewRule(deep({ interval: "15s" }), recorded, { from: FROM, to: FROM + DAY });
    expect(at15s.evaluations).toBe(5_761);
    expect(at15s.spans.map((s) => [s.start, s.end])).toEqual([
      [SPIKE, SPIKE + 180 * S],
      [BLIP, BLIP + 45 * S],
    ]);
  });

  it("rates are evaluated at every evaluation too: a one-scrape error burst fires a rate rule", async () => {
    const rule = parseRule({
      name: "Errors",
      kind: "threshold",
      spec: { query: { metric: "controller_runtime_reconcile_errors_total", fn: "rate", rangeMs: "1m" }, comparator: ">", value: 1 },
      interval: "15s",
    });
    const preview = await previewRule(rule, recorded, { from: FROM, to: FROM + DAY });
    // rate over (t − 1m, t] holds the jump (the 0 at 10:01:45, the 90 at 10:02:00) from 10:02:00
    // to 10:02:30; at 10:02:45 the window starts after the 0.
    expect(preview.spans).toHaveLength(1);
    expect(preview.spans[0].start).toBe(SPIKE + 30 * S);
    expect(preview.spans[0].end).toBe(SPIKE + 75 * S);
  });

  it("the values read in bulk are what queryInstant answers at each evaluation", async () => {
    const queries = [
      { metric: "workqueue_depth" },
      { metric: "workqueue_depth", agg: "max", by: ["controller"] },
      { metric: "controller_runtime_reconcile_errors_total", fn: "increase", rangeMs: "2m" },
    ];
    const start = SPIKE - 300 * S;
    const end = SPIKE + 600 * S;
    for (const input of queries) {
      const rule = parseRule({ name: "q", kind: "threshold", spec: { query: input, comparator: ">", value: 0 } });
      if (rule.kind !== "threshold") throw new Error("unreachable");
      const bulk = await recorded.queryInstants!(rule.spec.query, start, end, 20 * S);
      const times = replayTimes(start, end, 20 * S);
      const vectors = instantVectorsAt(bulk, times, 20 * S);
      for (const [i, at] of times.entries()) {
        const one = await recorded.queryInstant(rule.spec.query, at);
        expect(vectors[i].map((v) => v.value), `${JSON.stringify(input)} at ${at - start}`).toEqual(one.map((v) => v.value));
        expect(vectors[i].map((v) => v.labels)).toEqual(one.map((v) => v.labels));
      }
    }
  });

  it("a bulk read that fails falls back to asking one evaluation at a time, and says so", async () => {
    const failing: RuleDataSources = { ...recorded, queryInstants: async () => Promise.reject(new Error("query too expensive")) };
    const preview = await previewRule(deep({ interval: "30s" }), failing, { from: FROM, to: FROM + DAY });
    expect(preview.stepMs).toBe(300 * S);
    expect(preview.errors[0]).toMatch(/could not read the query at every 30s evaluation \(query too expensive\)/);
  });
});

describe("replay cores", () => {
  it("replayStep keeps the interval, coarsens past the step limit, in whole seconds", () => {
    expect(replayStep(15_000, 0, 86_400_000, 100_000)).toBe(15_000);
    expect(replayStep(1_000, 0, 7 * 86_400_000, 100_000)).toBe(7_000);
    expect(replayStep(1_500, 0, 60_000, 100_000)).toBe(2_000);
  });

  it("instantVectorsAt puts each point at its evaluation and ignores points off the grid", () => {
    const series = [
      { labels: { a: "1" }, points: [[0, 1], [10, 2], [30, 3], [44, 9]] as [number, number][] },
      { labels: { a: "2" }, points: [[20, 5]] as [number, number][] },
    ];
    expect(instantVectorsAt(series, [0, 10, 20, 30], 10)).toEqual([
      [{ labels: { a: "1" }, value: 1 }],
      [{ labels: { a: "1" }, value: 2 }],
      [{ labels: { a: "2" }, value: 5 }],
      [{ labels: { a: "1" }, value: 3 }],
    ]);
  });

  it("replayEvaluations: `for` counts from the first evaluation that holds; errors keep the state", () => {
    const rule = parseRule({ name: "R", kind: "threshold", spec: { query: { metric: "m" }, comparator: ">", value: 1 }, for: "20s", interval: "10s" });
    const hot = [{ labels: { x: "1" }, value: 5 }];
    const { spans, errors } = replayEvaluations(rule, [
      { at: 0, result: hot },
      { at: 10_000, result: new Error("source down") },
      { at: 20_000, result: hot },
      { at: 30_000, result: [] },
    ]);
    expect(spans).toEqual([{ fingerprint: expect.any(String), labels: { alertname: "R", x: "1" }, start: 20_000, end: 30_000, peakValue: 5 }]);
    expect(errors).toEqual(["1970-01-01T00:00:10.000Z: source down"]);
  });
});
