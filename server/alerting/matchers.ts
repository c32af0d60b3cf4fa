import { z } from "zod";
import { compileAnchored, MAX_REGEX_LENGTH, refineMatcherRegex } from "../regex/linear-regex";
import type { Labels } from "./labels";

export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One Alertmanager/Prometheus label matcher. Regexes are fully anchored. */
export interface Matcher {
  name: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}


export const matcherSchema = z
  .object({
    name: z.string().regex(LABEL_NAME, "must be a label name such as controller (letters, digits, _; not starting with a digit)"),
    op: z.enum(["=", "!=", "=~", "!~"], { message: "must be one of =, !=, =~, !~" }),
    value: z.string().max(MAX_REGEX_LENGTH, `must be at most ${MAX_REGEX_LENGTH} characters`),
  })
  .superRefine(refineMatcherRegex());

export const matchersSchema = z.array(matcherSchema).max(32, "at most 32 matchers");

/** Alertmanager's anchored regex, linear-time (server/regex); a stored pattern that no longer compiles matches nothing. */
function anchoredMatches(value: string, actual: string): boolean {
  try {
    return compileAnchored(value).test(actual);
  } catch {
    return false;
  }
}

/** Whether one matcher accepts the label set (a missing label reads as ""). */
export function matcherMatches(matcher: Matcher, labels: Labels): boolean {
  const actual = labels[matcher.name] ?? "";
  switch (matcher.op) {
    case "=":
      return actual === matcher.value;
    case "!=":
      return actual !== matcher.value;
    case "=~":
      return anchoredMatches(matcher.value, actual);
    case "!~":
      return !anchoredMatches(matcher.value, actual);
  }
}

/** All matchers accept the label set; an empty list matches everything. */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matcherMatches(m, labels));
}

/** Prometheus text form: `controller="pods", severity=~"crit.*"`. */
export function formatMatchers(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ");
}
