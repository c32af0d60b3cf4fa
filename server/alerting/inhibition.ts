import { z } from "zod";
import type { Labels } from "./labels";
import { type Matcher, matchersSchema, matchesAll } from "./matchers";

/**
 * An Alertmanager inhibition rule: a firing alert matching `sourceMatchers` mutes every
 * alert matching `targetMatchers` that has the same values for the `equal` labels
 * (a missing label equals an empty one).
 */
export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

export const inhibitRulesSchema = z.array(
  z
    .object({
      sourceMatchers: matchersSchema.min(1, "needs at least one matcher"),
      targetMatchers: matchersSchema.min(1, "needs at least one matcher"),
      equal: z.array(z.string()).default([]),
    })
    .strict(),
);

/** The default: a firing critical alert mutes the warnings of the same controller. */
export const DEFAULT_INHIBIT_RULES: InhibitRule[] = [
  {
    sourceMatchers: [{ name: "severity", op: "=", value: "critical" }],
    targetMatchers: [{ name: "severity", op: "=", value: "warning" }],
    equal: ["controller"],
  },
];

export interface InhibitableAlert {
  fingerprint: string;
  labels: Labels;
  status: "firing" | "resolved";
}

function equalOn(names: readonly string[], a: Labels, b: Labels): boolean {
  return names.every((name) => (a[name] ?? "") === (b[name] ?? ""));
}

/**
 * Fingerprints of the alerts muted by inhibition. As in Alertmanager, an alert that
 * matches both sides of a rule cannot be inhibited by alerts that also match both
 * sides (itself included), so two such alerts never mute each other.
 */
export function inhibitedAlerts(alerts: readonly InhibitableAlert[], rules: readonly InhibitRule[]): Set<string> {
  const muted = new Set<string>();
  for (const rule of rules) {
    const sources = alerts.filter((a) => a.status === "firing" && matchesAll(rule.sourceMatchers, a.labels));
    if (sources.length === 0) continue;
    for (const target of alerts) {
      if (muted.has(target.fingerprint) || !matchesAll(rule.targetMatchers, target.labels)) continue;
      const targetIsSource = matchesAll(rule.sourceMatchers, target.labels);
      const inhibited = sources.some((source) => {
        if (targetIsSource && matchesAll(rule.targetMatchers, source.labels)) return false;
        return equalOn(rule.equal, source.labels, target.labels);
      });
      if (inhibited) muted.add(target.fingerprint);
    }
  }
  return muted;
}
