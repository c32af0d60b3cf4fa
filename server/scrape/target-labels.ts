import type { Labels, MetricFamily, Sample } from "./metric-family";

/**
 * The labels Prometheus attaches to every series scraped from a target, and how they
 * meet the labels the target exposes (scrape/scrape.go `mutateSampleLabels`):
 * - `job` is the target's job (its `job` label, else its name), `instance` its
 *   host:port (or its own `instance` label), then the target's other labels;
 * - without honor_labels, an exposed label that a target label also names is kept as
 *   `exported_<name>` (prefixed again while that name is taken), and the target's
 *   value wins;
 * - with honor_labels, the exposed value wins and the target label only fills in a
 *   label the series does not have.
 */

export interface TargetIdentity {
  readonly name: string;
  readonly url: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** `instance` (host:port), `job` (the target name) and the target's own labels, in name order. */
export function targetLabels(target: TargetIdentity): Labels {
  return sorted({ instance: new URL(target.url).host, job: target.name, ...target.labels });
}

function sorted(labels: Record<string, string>): Labels {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) out[key] = labels[key];
  return out;
}

/** One exposed label set with the target labels attached. */
export function attachTargetLabels(exposed: Labels, target: Labels, honorLabels: boolean): Labels {
  const out: Record<string, string> = { ...exposed };
  if (honorLabels) {
    for (const name in target) if ((out[name] ?? "") === "") out[name] = target[name];
    return sorted(out);
  }
  const clashes: [string, string][] = [];
  for (const name in target) {
    const value = exposed[name];
    if (value !== undefined && value !== "") clashes.push([name, value]);
    out[name] = target[name];
  }
  for (const [name, value] of clashes) {
    let exported = `exported_${name}`;
    while ((out[exported] ?? "") !== "") exported = `exported_${exported}`;
    out[exported] = value;
  }
  return sorted(out);
}

/** Every sample of `families` with the target labels attached (see {@link attachTargetLabels}). */
export function withTargetLabels(families: readonly MetricFamily[], target: Labels, honorLabels: boolean): MetricFamily[] {
  return families.map((family) => ({
    ...family,
    samples: family.samples.map((sample): Sample => ({ ...sample, labels: attachTargetLabels(sample.labels, target, honorLabels) })),
  }));
}
