import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type CorpusResult, type CorpusRunOptions, runCorpus } from "../../leak-corpus/run-corpus";

const repo = path.resolve(import.meta.dirname, "../../..");

/** The corpus in a process of its own, with --expose-gc so the harness can stand in for the process's full collections. */
async function runCorpusInChild(options: CorpusRunOptions): Promise<CorpusResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", "--import", "tsx", "test/leak-corpus/cli.ts", JSON.stringify(options)], {
    cwd: repo,
    timeout: 100_000,
    maxBuffer: 16 * 1_048_576,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as CorpusResult;
}

/** The scenarios the tracker got wrong, for a readable failure. */
function mistakes(result: CorpusResult): string[] {
  return result.outcomes
    .filter((o) => o.leaks !== o.detected || (!o.leaks && o.blamedTypes.length > 0))
    .map((o) => `${o.name}: ${o.leaks ? "missed" : `blamed ${o.blamedTypes.join("/")}`} after ${o.reconciles} reconciles ${o.errors.join("; ")}`);
}

// Short grace and sampling so the whole corpus runs in seconds; the benchmark runs it with the defaults.
// 4 s of reconciles: the trend test needs growth across a whole 12-sample window, even on a loaded machine.
const quick = { graceMs: 300, sampleIntervalMs: 100, reconcileEveryMs: 100, durationMs: 4_000, stackSampleRate: 0.1 };

describe("leak corpus", () => {
  it("finds the leaking scenarios and blames no look-alike (always-on mode)", async () => {
    const result = await runCorpus({ ...quick, deepMode: false });
    expect(result.outcomes.filter((o) => o.leaks).length).toBeGreaterThanOrEqual(30);
    expect(result.outcomes.filter((o) => !o.leaks).length).toBeGreaterThanOrEqual(15);
    expect(mistakes(result).length, mistakes(result).join("\n")).toBeLessThanOrEqual(1);
    expect(result.recall).toBeGreaterThanOrEqual(0.95);
    expect(result.falsePositiveRate).toBeLessThanOrEqual(0.02);
  }, 90_000);

  // Deep mode judges pending promises after the process's own full collections (it forces none).
  // A busy service runs one every few seconds; this 4-second run stands in for them every 300 ms.
  it("also finds pending-promise leaks in deep mode, still blaming no look-alike", async () => {
    const result = await runCorpusInChild({ ...quick, deepMode: true, collectEveryMs: 300 });
    const promiseScenarios = result.outcomes.filter((o) => o.deep);
    expect(promiseScenarios.length).toBeGreaterThanOrEqual(3);
    expect(promiseScenarios.filter((o) => !o.detected).map((o) => o.name)).toEqual([]);
    expect(result.recall, mistakes(result).join("\n")).toBeGreaterThanOrEqual(0.95);
    expect(result.falsePositiveRate, mistakes(result).join("\n")).toBeLessThanOrEqual(0.02);
  }, 120_000);
});
