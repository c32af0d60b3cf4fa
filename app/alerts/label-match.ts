/**
 * Alertmanager matcher semantics in the browser (anchored regexes; a missing label is ""). Pure.
 * Regexes run on RE2's linear-time engine (re2js), as on the server (server/regex), so a
 * hostile pattern in a silence cannot hang the page that previews it.
 */
import { RE2JS } from "re2js";
import type { Matcher } from "../../components/forms/matchers";

const compiled = new Map<string, RE2JS | null>();

function anchored(pattern: string): RE2JS | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = pattern.length > 1_024 ? null : RE2JS.compile(`(?:${pattern})`);
    } catch {
      re = null;
    }
    if (compiled.size > 200) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

function matchesOne(m: Matcher, labels: Record<string, string>): boolean {
  const value = labels[m.name] ?? "";
  if (m.op === "=") return value === m.value;
  if (m.op === "!=") return value !== m.value;
  const re = anchored(m.value);
  if (!re) return false;
  return m.op === "=~" ? re.matches(value) : !re.matches(value);
}

/** True when every matcher matches the label set. */
export function matchesAllLabels(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matchesOne(m, labels));
}
