import fs from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { configSchema } from "../../server/config";

/**
 * The README documents every setting: each variable of the config schema is a row of the
 * Configuration table, and the defaults given there (and in the Security section's table of
 * limits) are the schema's, read back through the schema itself (so `7d` equals 604800000).
 */
const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const shape = configSchema.shape as Record<string, z.ZodType>;

function section(heading: string): string {
  const start = readme.indexOf(`${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const next = readme.slice(start + heading.length).search(/\n#{2,3} /);
  return next < 0 ? readme.slice(start) : readme.slice(start, start + heading.length + next);
}

/** Table rows of a section as cells (the header and the separator left out). */
function rows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("|---"))
    .slice(1)
    .map((line) =>
      line
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((cell) => cell.trim()),
    );
}

const names = (cell: string) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]);
const schemaDefault = (name: string) => shape[name].parse(undefined);

describe("README settings", () => {
  const configuration = rows(section("## Configuration"));

  it("the Configuration table has a row for every setting of the config schema", () => {
    const documented = new Set(configuration.flatMap((cells) => names(cells[0])));
    const missing = Object.keys(shape).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it("the defaults in the Configuration table are the schema's", () => {
    let checked = 0;
    for (const cells of configuration) {
      const variables = names(cells[0]).filter((name) => name in shape);
      // One default per variable ("`15s` / `10s` / `2s`"), each a single literal; descriptive defaults are not checked.
      const literals = cells[1].split(" / ").map((part) => /^`([^`]+)`$/.exec(part.trim())?.[1]);
      if (variables.length === 0 || literals.length !== variables.length) continue;
      variables.forEach((name, i) => {
        const literal = literals[i];
        // Without a schema default the cell says what happens when unset (e.g. `http://HOST:PORT`).
        if (literal === undefined || schemaDefault(name) === undefined) return;
        const parsed = shape[name].safeParse(literal);
        expect(parsed.success ? parsed.data : `invalid: ${literal}`, `${name} default ${literal}`).toEqual(schemaDefault(name));
        checked += 1;
      });
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("every limit in the Security section names its setting and the schema's default", () => {
    const limits = rows(section("### What is limited, and how to tune it"));
    expect(limits.length).toBeGreaterThan(10);
    const tuned: string[] = [];
    for (const cells of limits) {
      const tuneWith = cells[cells.length - 1];
      for (const match of tuneWith.matchAll(/`([A-Z][A-Z0-9_]+)` \(([^)]+)\)/g)) {
        const [, name, given] = match;
        expect(Object.keys(shape), name).toContain(name);
        if (given === "unset") expect(schemaDefault(name), name).toBeUndefined();
        else expect(shape[name].parse(given.replace(/^`|`$/g, "")), `${name} (${given})`).toEqual(schemaDefault(name));
        tuned.push(name);
      }
      // A limit either names its settings with defaults or says it has none.
      if (!tuneWith.includes("`")) expect(tuneWith).toBe("—");
    }
    for (const name of ["LOOPSCOPE_AUTH_FAILURE_LIMIT", "LOOPSCOPE_LOGIN_RATE_LIMIT", "LOOPSCOPE_MAX_CONCURRENT_REQUESTS", "LOOPSCOPE_TRPC_MAX_BATCH", "LOOPSCOPE_QUERY_EXPENSIVE_COST"]) {
      expect(tuned).toContain(name);
    }
  });
});
