/** Alertmanager matcher semantics in the browser (anchored regexes; a missing label is ""). Pure. */
import type { Matcher } from "../../components/forms/matchers";

function matchesOne(m: Matcher, labels: Record<string, string>): boolean {
  const value = labels[m.name] ?? "";
  if (m.op === "=") return value === m.value;
  if (m.op === "!=") return value !== m.value;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m.value})$`);
  } catch {
    return false;
  }
  return m.op === "=~" ? re.test(value) : !re.test(value);
}

/** True when every matcher matches the label set. */
export function matchesAllLabels(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matchesOne(m, labels));
}
