import { describe, expect, it } from "vitest";
import { type CorpusResult, runCorpus } from "../../leak-corpus/run-corpus";

/**
 * The leak corpus run through the agent's public API alone, as a held-out corpus will be:
 * `startAgent(options)`, each unit of work through `trackWork({ controller, key }, fn)`,
 * verdicts from `suspects()` (type and controllers). Short grace and sampling, as in
 * test/integration/leaks/corpus.test.ts; the benchmark runs the corpus with the defaults.
 */
function mistakes(result: CorpusResult): string[] {
  return result.outcomes
    .filter((o) => o.leaks !== o.detected || (!o.leaks && o.blamedTypes.length > 0))
    .map((o) => `${o.name}: ${o.leaks ? "missed" : `blamed ${o.blamedTypes.join("/")}`} after ${o.reconciles} reconciles ${o.errors.join("; ")}`);
}

describe("the leak corpus against the agent's public API", () => {
  it("finds the leaking units of work and blames no look-alike", async () => {
    const result = await runCorpus({ via: "agent", graceMs: 300, sampleIntervalMs: 100, reconcileEveryMs: 100, durationMs: 4_000, stackSampleRate: 0.1, deepMode: false });
    expect(result.outcomes.filter((o) => o.leaks).length).toBeGreaterThanOrEqual(40);
    expect(result.outcomes.filter((o) => !o.leaks).length).toBeGreaterThanOrEqual(30);
    expect(result.recall, mistakes(result).join("\n")).toBeGreaterThanOrEqual(0.95);
    expect(result.falsePositiveRate, mistakes(result).join("\n")).toBeLessThanOrEqual(0.02);
    expect(result.status).toBeNull();
  }, 60_000);
});
