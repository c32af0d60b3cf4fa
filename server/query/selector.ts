/** Label matching with Prometheus semantics (`=`, `!=`, `=~`, `!~`). */
import { compileAnchored, type LinearRegex } from "../regex/linear-regex";

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** A metric name plus label matchers, like PromQL's `metric{a="b",c=~"d.*"}`. */
export interface SeriesSelector {
  metric: string;
  matchers: LabelMatcher[];
}

export type Labels = Record<string, string>;

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectorError";
  }
}

/**
 * A compiled matcher. As in Prometheus: a missing label has the value "" (so
 * `{a=""}` matches series without `a`, `{a!=""}` only those with it), and regular
 * expressions are fully anchored (`=~"foo"` does not match "foobar") with `.`
 * matching newlines too.
 */
export function compileMatcher(matcher: LabelMatcher): (labels: Labels) => boolean {
  const { name, op, value } = matcher;
  switch (op) {
    case "=":
      return (labels) => (labels[name] ?? "") === value;
    case "!=":
      return (labels) => (labels[name] ?? "") !== value;
    case "=~":
    case "!~": {
      let regex: LinearRegex;
      try {
        regex = compileAnchored(value, { dotAll: true });
      } catch (error) {
        throw new SelectorError(`label matcher ${name}${op}"${value.slice(0, 100)}": ${(error as Error).message.replace(/^is not a valid/, "invalid")}`);
      }
      return op === "=~" ? (labels) => regex.test(labels[name] ?? "") : (labels) => !regex.test(labels[name] ?? "");
    }
  }
}

/** Compiles all matchers into one predicate over a series' labels (all must match). */
export function compileMatchers(matchers: readonly LabelMatcher[]): (labels: Labels) => boolean {
  const compiled = matchers.map(compileMatcher);
  return (labels) => compiled.every((match) => match(labels));
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function unescapeLabelValue(body: string): string {
  return body.replace(/\\(.)/gs, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

/**
 * Parses a PromQL series selector: `metric`, `metric{a="b", c!~"x|y"}` or
 * `{__name__="metric", …}`. Label values are double-, single- or back-quoted strings.
 */
export function parseSelector(text: string): SeriesSelector {
  const source = text.trim();
  const brace = source.indexOf("{");
  let metric = brace === -1 ? source : source.slice(0, brace).trim();
  const matchers: LabelMatcher[] = [];
  if (brace !== -1) {
    if (!source.endsWith("}")) throw new SelectorError(`selector ${JSON.stringify(text)}: missing closing "}"`);
    const body = source.slice(brace + 1, -1);
    const item = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*(?:,|$)/gsy;
    let consumed = 0;
    for (let match = item.exec(body); match; match = item.exec(body)) {
      const [, name, op, quoted] = match;
      const raw = quoted.slice(1, -1);
      matchers.push({ name, op: op as MatchOp, value: quoted.startsWith("`") ? raw : unescapeLabelValue(raw) });
      consumed = item.lastIndex;
    }
    if (body.slice(consumed).trim() !== "") {
      throw new SelectorError(`selector ${JSON.stringify(text)}: cannot parse label matchers near ${JSON.stringify(body.slice(consumed, consumed + 20))}`);
    }
  }
  const nameMatcher = matchers.findIndex((m) => m.name === "__name__" && m.op === "=");
  if (!metric && nameMatcher !== -1) {
    metric = matchers[nameMatcher].value;
    matchers.splice(nameMatcher, 1);
  }
  if (!NAME.test(metric)) throw new SelectorError(`selector ${JSON.stringify(text)}: ${JSON.stringify(metric)} is not a metric name`);
  for (const m of matchers) {
    if (!LABEL.test(m.name)) throw new SelectorError(`selector ${JSON.stringify(text)}: ${JSON.stringify(m.name)} is not a label name`);
    if (m.op === "=~" || m.op === "!~") compileMatcher(m);
  }
  return { metric, matchers };
}

export function isMetricName(name: string): boolean {
  return NAME.test(name);
}
