import { RE2JS } from "re2js";

/**
 * Every regular expression a user supplies (query label matchers `=~`/`!~`, silences,
 * alert rule and route matchers, inhibition rules, watched series) is compiled here, with
 * RE2's linear-time engine (re2js, a pure-JS port of RE2): matching costs
 * O(pattern × text) whatever the pattern, so `(.|.|.)*!` cannot stall the event loop the way
 * a backtracking engine does. The syntax is RE2's — the one Prometheus and Alertmanager use
 * (Go's regexp) — so patterns that work there work here; backreferences and lookaround,
 * which need backtracking, are refused with a clear message. Patterns are fully anchored, as
 * in Prometheus, and at most {@link MAX_REGEX_LENGTH} characters.
 */
export const MAX_REGEX_LENGTH = 1_024;

export class RegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegexError";
  }
}

export interface LinearRegex {
  readonly source: string;
  /** Whether the whole of `text` matches. */
  test(text: string): boolean;
}

export interface RegexOptions {
  /** `.` matches a newline too (PromQL's matchers do; Alertmanager's do not). */
  dotAll?: boolean;
}

const CACHE_SIZE = 1_000;
const cache = new Map<string, LinearRegex | RegexError>();

function compileUncached(pattern: string, dotAll: boolean): LinearRegex | RegexError {
  if (pattern.length > MAX_REGEX_LENGTH) return new RegexError(`is longer than ${MAX_REGEX_LENGTH} characters`);
  try {
    const compiled = RE2JS.compile(`(?:${pattern})`, dotAll ? RE2JS.DOTALL : 0);
    return { source: pattern, test: (text: string) => compiled.matches(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^error parsing regexp: /, "") : String(error);
    return new RegexError(`is not a valid regular expression (${message})`);
  }
}

/** Compiles an anchored, linear-time regex (cached); throws RegexError saying what is wrong. */
export function compileAnchored(pattern: string, options: RegexOptions = {}): LinearRegex {
  const key = `${options.dotAll ? "s" : "-"}${pattern}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = compileUncached(pattern, options.dotAll === true);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, entry);
  }
  if (entry instanceof RegexError) throw entry;
  return entry;
}

/** What is wrong with `pattern` as a matcher regex, or undefined when it compiles. */
export function regexProblem(pattern: string, options: RegexOptions = {}): string | undefined {
  try {
    compileAnchored(pattern, options);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** For zod refinements of `{ op, value }` matchers: the problem of a regex matcher's value, if any. */
export function matcherRegexProblem(matcher: { op: string; value: string }, options: RegexOptions = {}): string | undefined {
  return matcher.op === "=~" || matcher.op === "!~" ? regexProblem(matcher.value, options) : undefined;
}

/** A zod `superRefine` for `{ op, value }` matchers: a bad regex is an issue on `value`. */
export function refineMatcherRegex(options: RegexOptions = {}) {
  return (matcher: { op: string; value: string }, ctx: { addIssue(issue: { code: "custom"; path: string[]; message: string }): void }): void => {
    const problem = matcherRegexProblem(matcher, options);
    if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
  };
}
