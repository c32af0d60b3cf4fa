import { z } from "zod";
import type { Labels } from "./labels";

export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One Alertmanager/Prometheus label matcher. Regexes are fully anchored. */
export interface Matcher {
  name: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

function regexProblem(value: string): string | undefined {
  try {
    new RegExp(`^(?:${value})$`);
    return undefined;
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message})`;
  }
}

export const matcherSchema = z
  .object({
    name: z.string().regex(LABEL_NAME, "must be a label name such as controller (letters, digits, _; not starting with a digit)"),
    op: z.enum(["=", "!=", "=~", "!~"], { message: "must be one of =, !=, =~, !~" }),
    value: z.string().max(1024, "must be at most 1024 characters"),
  })
  .superRefine((m, ctx) => {
    if (m.op === "=~" || m.op === "!~") {
      const problem = regexProblem(m.value);
      if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
    }
  });

export const matchersSchema = z.array(matcherSchema).max(32, "at most 32 matchers");

const regexCache = new Map<string, RegExp>();
function anchored(value: string): RegExp {
  let re = regexCache.get(value);
  if (!re) {
    re = new RegExp(`^(?:${value})$`);
    if (regexCache.size > 1_000) regexCache.clear();
    regexCache.set(value, re);
  }
  return re;
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
      return anchored(matcher.value).test(actual);
    case "!~":
      return !anchored(matcher.value).test(actual);
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
