/**
 * A strict parser for the Prometheus text exposition format (0.0.4), enough to prove a
 * scrape parses: HELP/TYPE lines, escaped label values, float values, histogram
 * families with cumulative buckets ending in +Inf = _count. Throws on anything else.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN" || text === "Nan") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value "${text}" in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in: ${line}`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j += 1) {
      if (text[j] === "\\") {
        const next = text[j + 1];
        value += next === "n" ? "\n" : next;
        j += 1;
      } else {
        value += text[j];
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i += 1;
  }
  return labels;
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sampleName.endsWith(suffix)) {
      const family = families.get(sampleName.slice(0, -suffix.length));
      if (family && (family.type === "histogram" || family.type === "summary")) return family;
    }
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("# HELP ")) {
      const [, name, ...help] = line.split(" ").slice(1);
      const family = families.get(name) ?? { name, type: "untyped", help: "", samples: [] };
      family.help = help.join(" ");
      families.set(name, family);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type)) throw new Error(`bad type in: ${line}`);
      const family = families.get(name) ?? { name, type: "untyped", help: "", samples: [] };
      family.type = type as Family["type"];
      families.set(name, family);
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
    if (!match) throw new Error(`unparseable sample line: ${line}`);
    const [, name, , labelText, valueText] = match;
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample ${name} has no TYPE line before it`);
    family.samples.push({ name, labels: labelText ? parseLabels(labelText, line) : {}, value: parseValue(valueText, line) });
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== "le")
      .sort(),
  );
}

function checkHistogram(family: Family): void {
  const bySeries = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const key = seriesKey(sample.labels);
    bySeries.set(key, [...(bySeries.get(key) ?? []), sample]);
  }
  for (const [key, samples] of bySeries) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (!count || !samples.some((s) => s.name === `${family.name}_sum`)) throw new Error(`${family.name}${key}: missing _sum or _count`);
    let previousLe = Number.NEGATIVE_INFINITY;
    let previous = 0;
    for (const bucket of buckets) {
      const le = parseValue(bucket.labels.le ?? "", "le");
      if (!(le > previousLe)) throw new Error(`${family.name}${key}: le not ascending`);
      if (bucket.value < previous) throw new Error(`${family.name}${key}: buckets not cumulative`);
      previousLe = le;
      previous = bucket.value;
    }
    if (buckets[buckets.length - 1]?.labels.le !== "+Inf") throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (buckets[buckets.length - 1].value !== count.value) throw new Error(`${family.name}${key}: +Inf bucket ≠ _count`);
  }
}

/** Finite bucket bounds of one histogram series (without +Inf). */
export function bucketBounds(family: Family, labels: Record<string, string>): number[] {
  const key = seriesKey(labels);
  return family.samples.filter((s) => s.name === `${family.name}_bucket` && seriesKey(s.labels) === key && s.labels.le !== "+Inf").map((s) => Number(s.labels.le));
}

/** Label names of a family's samples (excluding `le`), sorted, deduplicated. */
export function labelSets(family: Family): string[] {
  return [...new Set(family.samples.map((s) => Object.keys(s.labels).filter((k) => k !== "le").sort().join(",")))];
}
