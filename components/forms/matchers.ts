/** Label matchers as Prometheus and Alertmanager write them. Pure. */

export type MatchOp = "=" | "!=" | "=~" | "!~";

export const MATCH_OPS: readonly MatchOp[] = ["=", "!=", "=~", "!~"];

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** `{controller="pods", result=~"error|requeue"}`; `{}` when empty. */
export function formatMatchers(matchers: readonly Matcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(", ")}}`;
}

/** Equality matchers for every label of an alert (what "Silence" pre-fills). */
export function matchersFromLabels(labels: Record<string, string>): Matcher[] {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, op: "=" as const, value }));
}
