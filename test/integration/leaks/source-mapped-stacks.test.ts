import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * Stacks that name the line: a unit of work run under tsx (as Loopscope's own server runs)
 * leaks an interval on a known line, in a child process of its own. The suspect group's
 * stack must name that line and column, both with Node's formatter and under the
 * `Error.prepareStackTrace` that Next's server installs (it applies no source maps, which
 * made every stack read `file.ts:1:<column>` on the Leaks page).
 */
const repo = path.resolve(import.meta.dirname, "../../..");
const fixture = path.join(repo, "test/fixtures/source-maps/leak-under-tsx.ts");
const run = promisify(execFile);

function leakLine(): { line: number; column: number } {
  const lines = readFileSync(fixture, "utf8").split("\n");
  const index = lines.findIndex((l) => l.includes("// LEAK-LINE"));
  return { line: index + 1, column: lines[index].indexOf("setInterval") + 1 };
}

interface FixtureOutput {
  prepareStackTrace: string;
  groups: { type: string; suspect: boolean; stack: string[] }[];
}

async function runFixture(args: string[]): Promise<FixtureOutput> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", fixture, ...args], { cwd: repo, timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as FixtureOutput;
}

describe("creation stacks of code run by tsx", () => {
  const { line, column } = leakLine();
  const expected = `reconcile (test/fixtures/source-maps/leak-under-tsx.ts:${line}:${column})`;

  it("name the leaking line under Next's server Error.prepareStackTrace", async () => {
    const output = await runFixture(["--next"]);
    const timers = output.groups.filter((g) => g.type === "Timeout");
    expect(timers).toHaveLength(1);
    expect(timers[0].suspect).toBe(true);
    expect(timers[0].stack[0]).toBe(expected);
  });

  it("name the leaking line with Node's own formatter", async () => {
    const output = await runFixture([]);
    const timers = output.groups.filter((g) => g.type === "Timeout");
    expect(timers.map((g) => g.stack[0])).toEqual([expected]);
  });
});
