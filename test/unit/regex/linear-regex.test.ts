import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matcherSchema } from "../../../server/alerting/matchers";
import { seriesQuerySchema } from "../../../server/anomaly/watched-series";
import { rangeQuerySchema } from "../../../server/query/range-query";
import { compileAnchored, MAX_REGEX_LENGTH, regexProblem } from "../../../server/regex/linear-regex";

/** Runs the query and silence matchers in a child process; "stalled" if they take longer than the (generous) budget. */
function matchInWorker(pattern: string, text: string, budgetMs = 20_000): Promise<{ query: boolean; silence: boolean; preview: boolean } | "stalled"> {
  const script = fileURLToPath(new URL("./redos-worker.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", script, JSON.stringify({ pattern, text })], { timeout: budgetMs }, (error, stdout) => {
      if (error?.killed) resolve("stalled");
      else if (error) reject(error);
      else {
        const { query, silence, preview } = JSON.parse(stdout) as { query: boolean; silence: boolean; preview: boolean };
        resolve({ query, silence, preview });
      }
    });
  });
}

describe("user-supplied regexes run in linear time (issue 17, item 4)", () => {
  it('space=~"(.|.|.)*!" over a 4 KiB label value finishes, in queries, silences and the silence preview (a backtracking engine needs 3^n steps)', async () => {
    expect(await matchInWorker("(.|.|.)*!", "a".repeat(4_096))).toEqual({ query: false, silence: false, preview: false });
    expect(await matchInWorker("(a|aa)*c", `${"a".repeat(4_000)}!`)).toEqual({ query: false, silence: false, preview: false });
  });

  it("keeps Prometheus semantics: anchored, dot matches newline for PromQL matchers, RE2 syntax", () => {
    expect(compileAnchored("foo").test("foobar")).toBe(false);
    expect(compileAnchored("foo.*").test("foobar")).toBe(true);
    expect(compileAnchored("a.b", { dotAll: true }).test("a\nb")).toBe(true);
    expect(compileAnchored("a.b").test("a\nb")).toBe(false);
    expect(compileAnchored("a|b").test("ab")).toBe(false);
    expect(compileAnchored("(?i)POD-\\d+").test("pod-12")).toBe(true);
    expect(regexProblem("(a")).toMatch(/not a valid regular expression \(missing closing \)/);
    expect(regexProblem("(?=a)b")).toMatch(/not a valid regular expression/);
    expect(regexProblem("(a)\\1")).toMatch(/not a valid regular expression/);
    expect(regexProblem("a".repeat(MAX_REGEX_LENGTH + 1))).toMatch(/longer than 1024 characters/);
  });

  it("matches what JavaScript's engine matches on simple patterns (property)", () => {
    const atom = fc.constantFrom("a", "b", ".", "[ab]", "a?", "b*", "(a|b)", "\\d", "x+");
    fc.assert(
      fc.property(fc.array(atom, { minLength: 1, maxLength: 6 }), fc.stringMatching(/^[abx0-9\n]{0,8}$/), (atoms, text) => {
        const pattern = atoms.join("");
        expect(compileAnchored(pattern, { dotAll: true }).test(text)).toBe(new RegExp(`^(?:${pattern})$`, "s").test(text));
      }),
    );
  });

  it("refuses an invalid regex when it is saved: silences and rules, watched series, queries", () => {
    const silence = matcherSchema.safeParse({ name: "pod", op: "=~", value: "web-(" });
    expect(silence.success).toBe(false);
    expect(silence.error?.issues[0]?.message).toMatch(/not a valid regular expression/);
    const watched = seriesQuerySchema.safeParse({ metric: "workqueue_depth", matchers: [{ name: "name", op: "!~", value: "(?<=x)y" }], fn: "raw" });
    expect(watched.success).toBe(false);
    expect(watched.error?.issues[0]?.path).toEqual(["matchers", 0, "value"]);
    const query = rangeQuerySchema.safeParse({ metric: "up", matchers: [{ name: "job", op: "=~", value: "[z-a]" }], start: 0, end: 60_000, stepMs: 1_000 });
    expect(query.success).toBe(false);
  });
});
