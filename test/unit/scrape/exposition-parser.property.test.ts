import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError, parseExposition } from "../../../server/scrape/exposition-parser";
import type { ExpositionFormat, ParsedExposition } from "../../../server/scrape/metric-family";
import { formatGoFloat } from "../../../server/scrape/prometheus-float";

const FIXTURES = ["controller-runtime-operator.txt", "kube-controller-manager.txt", "openmetrics-exemplars.txt", "prom-client-node.txt"].map((name) =>
  readFileSync(new URL(`../../fixtures/exposition/${name}`, import.meta.url), "utf8"),
);

/** Parses and returns the result, or undefined when the input was rejected with a ParseError; anything else fails. */
function parseOrReject(text: string, format: ExpositionFormat): ParsedExposition | undefined {
  try {
    return parseExposition(text, { format, maxSamples: 100_000 });
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.line).toBeLessThanOrEqual(text.split("\n").length);
    expect(error.message).toMatch(/^line \d+: \S/);
    return undefined;
  }
}

/** What every successful parse must satisfy. */
function checkInvariants(parsed: ParsedExposition): void {
  let count = 0;
  for (const family of parsed.families) {
    expect(family.samples.length).toBeGreaterThan(0);
    for (const sample of family.samples) {
      count++;
      expect(typeof sample.value).toBe("number");
      const keys = Object.keys(sample.labels);
      expect([...keys].sort()).toEqual(keys);
      for (const key of keys) expect(typeof sample.labels[key]).toBe("string");
    }
  }
  expect(parsed.sampleCount).toBe(count);
}

const format = fc.constantFrom<ExpositionFormat>("text", "openmetrics");

/** A fixture with random edits: characters inserted, ranges deleted or duplicated, lines cut short. */
const mutatedFixture = fc
  .tuple(
    fc.constantFrom(...FIXTURES),
    fc.array(
      fc.record({
        at: fc.nat(),
        length: fc.nat({ max: 40 }),
        kind: fc.constantFrom("insert", "delete", "duplicate", "truncate"),
        text: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('"', "\\", "{", "}", ",", "=", "#", " ", "\n", "\t", "# EOF\n", "\u0000", "\uFFFD")),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([base, edits]) => {
    let text = base;
    for (const edit of edits) {
      const at = edit.at % (text.length + 1);
      if (edit.kind === "insert") text = text.slice(0, at) + edit.text + text.slice(at);
      else if (edit.kind === "delete") text = text.slice(0, at) + text.slice(at + edit.length);
      else if (edit.kind === "duplicate") text = text.slice(0, at + edit.length) + text.slice(at, at + edit.length) + text.slice(at + edit.length);
      else text = text.slice(0, at);
    }
    return text;
  });

const exposition = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
  fc.array(fc.constantFrom("# HELP ", "# TYPE ", "# UNIT ", "# EOF", "a", "_bucket", "{", "}", '"', "=", ",", "le", " ", "\t", "\n", "1", "NaN", "+Inf", "#", "\\", "x"), { maxLength: 80 }).map((parts) => parts.join("")),
  mutatedFixture,
);

describe("the exposition parser on arbitrary input", () => {
  it("either parses (with consistent output) or throws a ParseError naming a line, and always terminates", () => {
    fc.assert(
      fc.property(exposition, format, (text, fmt) => {
        const parsed = parseOrReject(text, fmt);
        if (parsed !== undefined) checkInvariants(parsed);
      }),
      { numRuns: 1500 },
    );
  });

  it("stays linear on large pathological input (one huge line, deep repetition)", () => {
    const cases = [
      `m{${"a".repeat(200_000)}`,
      `m{l="${"\\".repeat(200_001)}`,
      `${"{".repeat(100_000)}`,
      `m ${"9".repeat(200_000)}`,
      `# HELP m ${"\\n".repeat(100_000)}\nm 1\n`,
      Array.from({ length: 20_000 }, (_, k) => `m{${"l".repeat(1 + (k % 7))}${k}="v"} 1`).join("\n"),
    ];
    for (const text of cases) for (const fmt of ["text", "openmetrics"] as const) parseOrReject(text, fmt);
  });
});

/** Label names per client_golang's rules, values anything (escaping must round-trip). */
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/).filter((n) => !n.startsWith("__") && n !== "le" && n !== "quantile");
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);
const sampleValue = fc.oneof(fc.double(), fc.integer().map(Number), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0));

const family = fc.record({
  name: metricName,
  type: fc.constantFrom("gauge", "untyped"),
  help: fc.string({ maxLength: 40 }),
  series: fc.uniqueArray(fc.dictionary(labelName, fc.string({ maxLength: 12 }), { maxKeys: 4 }), {
    minLength: 1,
    maxLength: 5,
    selector: (labels) => JSON.stringify(Object.entries(labels).sort()),
  }),
  values: fc.array(sampleValue, { minLength: 5, maxLength: 5 }),
});

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

describe("round trip: whatever client_golang would write is read back exactly", () => {
  it("recovers names, types, HELP, labels and values (including NaN, ±Inf and -0)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(family, { minLength: 1, maxLength: 5, selector: (f) => f.name }), (families) => {
        let text = "";
        for (const f of families) {
          text += `# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${f.name} ${f.type}\n`;
          f.series.forEach((labels, k) => {
            const entries = Object.entries(labels);
            const block = entries.length === 0 ? "" : `{${entries.map(([n, v]) => `${n}="${escapeLabel(v)}"`).join(",")}}`;
            text += `${f.name}${block} ${formatGoFloat(f.values[k])}\n`;
          });
        }
        const parsed = parseExposition(text);
        expect(parsed.families.map((f) => f.name)).toEqual(families.map((f) => f.name));
        parsed.families.forEach((parsedFamily, k) => {
          const expected = families[k];
          expect(parsedFamily.type).toBe(expected.type);
          // Like client_golang's own parser: blanks between the name and the text are separators; a final CR is a line ending.
          expect(parsedFamily.help).toBe(expected.help.replace(/^[ \t]+/, "").replace(/\r$/, ""));
          expect(parsedFamily.samples.map((s) => s.labels)).toEqual(expected.series.map((labels) => Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))));
          for (const [n, s] of parsedFamily.samples.entries()) expect(Object.is(s.value, expected.values[n])).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });
});
