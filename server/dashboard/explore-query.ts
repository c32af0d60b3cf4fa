import { DURATION_HINT, formatDuration, parseDuration } from "../../shared/duration";
/**
 * The PromQL subset the query API answers, as text: one selector, at most one function and
 * at most one aggregation —
 *
 *   workqueue_depth{name="pods"}
 *   rate(workqueue_adds_total{name=~"pods|nodes"}[5m])
 *   sum by (name) (rate(workqueue_retries_total[1m]))
 *   histogram_quantile(0.99, sum by (le, name) (rate(workqueue_work_duration_seconds_bucket[5m])))
 *
 * parsed into the range query's fields (metric, matchers, fn, quantile, windowMs, aggregate).
 * Pure; the input length is bounded and the parser is a single left-to-right pass.
 */

export type MatchOp = "=" | "!=" | "=~" | "!~";
export type AggOp = "sum" | "avg" | "max" | "min";
export type ExploreFn = "raw" | "rate" | "increase" | "deriv" | "histogram_quantile";

export interface ExploreQuery {
  metric: string;
  matchers: { name: string; op: MatchOp; value: string }[];
  fn: ExploreFn;
  quantile?: number;
  windowMs?: number;
  aggregate?: { op: AggOp; by: string[] };
}

export class ExploreSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1})`);
    this.name = "ExploreSyntaxError";
  }
}

export const MAX_QUERY_LENGTH = 2_000;

type Token = { kind: "ident" | "string" | "number" | "duration" | "punct" | "op"; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (/[a-zA-Z_:]/.test(c)) {
      while (i < text.length && /[a-zA-Z0-9_:]/.test(text[i])) i++;
      tokens.push({ kind: "ident", text: text.slice(at, i), at });
      continue;
    }
    if (/[0-9.]/.test(c)) {
      while (i < text.length && /[0-9.eE]/.test(text[i])) i++;
      if (i < text.length && /[ywdhms]/.test(text[i])) {
        // A duration (Prometheus's syntax, e.g. 1h30m): the whole run, judged by parseDuration.
        while (i < text.length && /[0-9a-zA-Z.]/.test(text[i])) i++;
        tokens.push({ kind: "duration", text: text.slice(at, i), at });
      } else tokens.push({ kind: "number", text: text.slice(at, i), at });
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      let value = "";
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) {
          const next = text[i + 1];
          value += next === "n" ? "\n" : next === "t" ? "\t" : next;
          i += 2;
        } else value += text[i++];
      }
      if (i >= text.length) throw new ExploreSyntaxError("unterminated string", at);
      i++;
      tokens.push({ kind: "string", text: value, at });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === "=~" || two === "!~" || two === "!=") {
      tokens.push({ kind: "op", text: two, at });
      i += 2;
      continue;
    }
    if (c === "=") {
      tokens.push({ kind: "op", text: "=", at });
      i++;
      continue;
    }
    if ("(){}[],".includes(c)) {
      tokens.push({ kind: "punct", text: c, at });
      i++;
      continue;
    }
    throw new ExploreSyntaxError(`unexpected character "${c}"`, at);
  }
  return tokens;
}

const AGGS = new Set<AggOp>(["sum", "avg", "max", "min"]);
const FNS = new Set(["rate", "increase", "deriv"]);

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly length: number,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private at(): number {
    return this.peek()?.at ?? this.length;
  }
  private next(): Token {
    const token = this.tokens[this.i++];
    if (!token) throw new ExploreSyntaxError("the query ends too early", this.length);
    return token;
  }
  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text || (token.kind !== "punct" && token.kind !== "op")) throw new ExploreSyntaxError(`expected "${text}" but found "${token.text}"`, token.at);
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === "punct" && t.text === text;
  }
  done(): void {
    const t = this.peek();
    if (t) throw new ExploreSyntaxError(`unexpected "${t.text}" after the end of the query`, t.at);
  }

  private labelList(): string[] {
    this.expect("(");
    const labels: string[] = [];
    while (!this.isPunct(")")) {
      const t = this.next();
      if (t.kind !== "ident" || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(t.text)) throw new ExploreSyntaxError(`expected a label name but found "${t.text}"`, t.at);
      labels.push(t.text);
      if (this.isPunct(",")) this.next();
    }
    this.expect(")");
    return labels;
  }

  private selector(): Pick<ExploreQuery, "metric" | "matchers"> & { windowMs?: number } {
    const t = this.next();
    if (t.kind !== "ident") throw new ExploreSyntaxError(`expected a metric name but found "${t.text}"`, t.at);
    const matchers: ExploreQuery["matchers"] = [];
    if (this.isPunct("{")) {
      this.next();
      while (!this.isPunct("}")) {
        const name = this.next();
        if (name.kind !== "ident" || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name.text)) throw new ExploreSyntaxError(`expected a label name but found "${name.text}"`, name.at);
        const op = this.next();
        if (op.kind !== "op") throw new ExploreSyntaxError(`expected =, !=, =~ or !~ but found "${op.text}"`, op.at);
        const value = this.next();
        if (value.kind !== "string") throw new ExploreSyntaxError(`expected a quoted label value but found "${value.text}"`, value.at);
        if (op.text === "=~" || op.text === "!~") {
          try {
            new RegExp(`^(?:${value.text})$`);
          } catch {
            throw new ExploreSyntaxError(`"${value.text}" is not a valid regular expression`, value.at);
          }
        }
        matchers.push({ name: name.text, op: op.text as MatchOp, value: value.text });
        if (this.isPunct(",")) this.next();
        else if (!this.isPunct("}")) throw new ExploreSyntaxError(`expected "," or "}" but found "${this.peek()?.text ?? "the end"}"`, this.at());
      }
      this.next();
    }
    let windowMs: number | undefined;
    if (this.isPunct("[")) {
      this.next();
      const d = this.next();
      if (d.kind !== "duration") throw new ExploreSyntaxError(`expected a duration such as 5m but found "${d.text}"`, d.at);
      windowMs = parseDurationMs(d.text, d.at);
      this.expect("]");
    }
    return { metric: t.text, matchers, windowMs };
  }

  /** fn(selector[range]) or a bare selector. */
  private inner(): ExploreQuery {
    const t = this.peek();
    if (t?.kind === "ident" && FNS.has(t.text) && this.tokens[this.i + 1]?.text === "(") {
      this.next();
      this.expect("(");
      const s = this.selector();
      this.expect(")");
      return { metric: s.metric, matchers: s.matchers, fn: t.text as ExploreFn, ...(s.windowMs ? { windowMs: s.windowMs } : {}) };
    }
    const s = this.selector();
    if (s.windowMs !== undefined) throw new ExploreSyntaxError("a range [..] needs a function such as rate()", this.at());
    return { metric: s.metric, matchers: s.matchers, fn: "raw" };
  }

  /** agg [by (..)] (inner) [by (..)], or inner. */
  private aggregated(): ExploreQuery {
    const t = this.peek();
    if (t?.kind === "ident" && AGGS.has(t.text as AggOp) && (this.tokens[this.i + 1]?.text === "(" || this.tokens[this.i + 1]?.text === "by")) {
      this.next();
      let by: string[] = [];
      if (this.peek()?.text === "by") {
        this.next();
        by = this.labelList();
      }
      this.expect("(");
      const inner = this.inner();
      this.expect(")");
      if (this.peek()?.text === "by") {
        this.next();
        by = this.labelList();
      }
      return { ...inner, aggregate: { op: t.text as AggOp, by } };
    }
    return this.inner();
  }

  query(): ExploreQuery {
    const t = this.peek();
    if (t?.kind === "ident" && t.text === "histogram_quantile") {
      this.next();
      this.expect("(");
      const q = this.next();
      const quantile = Number(q.text);
      if (q.kind !== "number" || !(quantile >= 0 && quantile <= 1)) throw new ExploreSyntaxError(`expected a quantile between 0 and 1 but found "${q.text}"`, q.at);
      this.expect(",");
      const inner = this.aggregated();
      this.expect(")");
      if (inner.fn !== "rate" && inner.fn !== "raw") throw new ExploreSyntaxError("histogram_quantile takes rate(<histogram>_bucket[..]) inside", t.at);
      if (inner.aggregate && inner.aggregate.op !== "sum") throw new ExploreSyntaxError("histogram_quantile aggregates bucket rates with sum only", t.at);
      const by = (inner.aggregate?.by ?? ["le"]).filter((l) => l !== "le");
      return {
        metric: inner.metric.replace(/_bucket$/, ""),
        matchers: inner.matchers,
        fn: "histogram_quantile",
        quantile,
        ...(inner.windowMs ? { windowMs: inner.windowMs } : {}),
        aggregate: { op: "sum", by },
      };
    }
    return this.aggregated();
  }
}

function parseDurationMs(text: string, at: number): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new ExploreSyntaxError(`"${text}" is not ${DURATION_HINT}`, at);
  if (ms <= 0) throw new ExploreSyntaxError(`a range of "${text}" is empty; give a positive duration`, at);
  return ms;
}

/** Parses a query of the subset; throws ExploreSyntaxError saying what and where. */
export function parseExploreQuery(text: string): ExploreQuery {
  if (text.length > MAX_QUERY_LENGTH) throw new ExploreSyntaxError(`the query is longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  if (text.trim() === "") throw new ExploreSyntaxError("the query is empty", 0);
  const parser = new Parser(tokenize(text), text.length);
  const query = parser.query();
  parser.done();
  return query;
}

/** The text form of a query (parseExploreQuery(formatExploreQuery(q)) gives q back). */
export function formatExploreQuery(q: ExploreQuery): string {
  const matchers = q.matchers.length > 0 ? `{${q.matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ")}}` : "";
  const range = q.windowMs ? `[${formatDuration(q.windowMs)}]` : q.fn === "raw" ? "" : "[5m]";
  if (q.fn === "histogram_quantile") {
    const by = ["le", ...(q.aggregate?.by ?? [])];
    return `histogram_quantile(${q.quantile ?? 0.99}, sum by (${by.join(", ")}) (rate(${q.metric}_bucket${matchers}${range})))`;
  }
  const inner = q.fn === "raw" ? `${q.metric}${matchers}` : `${q.fn}(${q.metric}${matchers}${range})`;
  if (!q.aggregate) return inner;
  return `${q.aggregate.op}${q.aggregate.by.length > 0 ? ` by (${q.aggregate.by.join(", ")})` : ""} (${inner})`;
}
