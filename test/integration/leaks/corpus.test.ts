import { describe, expect, it } from "vitest";
import { type CorpusResult, runCorpus } from "../../leak-corpus/run-corpus";

/** The scenarios the tracker got wrong, for a readable failure. */
function mistakes(result: CorpusResult): string[] {
  return result.outcomes
    .filter((o) => o.leaks !== o.detected || (!o.leaks && o.blamedTypes.length > 0))
    .map((o) => `${o.name}: ${o.leaks ? "missed" : `blamed ${o.blamedTypes.join("/")}`} after ${o.reconciles} reconciles ${o.errors.join("; ")}`);
}

// Short grace and sampling so the whole corpus runs in seconds; the benchmark runs it with the defaults.
const quick = { graceMs: 300, sampleIntervalMs: 100, reconcileEveryMs: 100, durationMs: 2_500, stackSampleRate: 0.1, promiseGcIntervalMs: 500 };

describe("leak corpus", () => {
  it("finds the leaking scenarios and blames no look-alike (always-on mode)", async () => {
    const result = await runCorpus({ ...quick, deepMode: false });
    expect(result.outcomes.filter((o) => o.leaks).length).toBeGreaterThanOrEqual(30);
    expect(result.outcomes.filter((o) => !o.leaks).length).toBeGreaterThanOrEqual(15);
    expect(mistakes(result).length, mistakes(result).join("\n")).toBeLessThanOrEqual(1);
    expect(result.recall).toBeGreaterThanOrEqual(0.95);
    expect(result.falsePositiveRate).toBeLessThanOrEqual(0.02);
  });

  it("also finds pending-promise leaks in deep mode, still blaming no look-alike", async () => {
    const result = await runCorpus({ ...quick, deepMode: true });
    const promiseScenarios = result.outcomes.filter((o) => o.deep);
    expect(promiseScenarios.length).toBeGreaterThanOrEqual(3);
    expect(promiseScenarios.filter((o) => !o.detected).map((o) => o.name)).toEqual([]);
    expect(result.recall, mistakes(result).join("\n")).toBeGreaterThanOrEqual(0.95);
    expect(result.falsePositiveRate, mistakes(result).join("\n")).toBeLessThanOrEqual(0.02);
  });
});
