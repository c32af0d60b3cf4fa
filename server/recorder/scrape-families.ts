import { normalizeFloatLabel } from "./prometheus-float";
import { type Labels, normalizeMetricType, type RecordedSample } from "./sample";

/** One parsed sample of a scraped exposition (full series name, e.g. `x_bucket`). */
export interface ScrapedSample {
  name: string;
  labels: Labels;
  value: number;
  /** The exporter's own timestamp, if the line had one. */
  timestampMs?: number;
}

/** One parsed metric family of a scraped exposition (text 0.0.4 or OpenMetrics). */
export interface ScrapedFamily {
  name: string;
  type: string;
  help: string;
  samples: ScrapedSample[];
}

/**
 * Flattens parsed families into stored samples: each sample keeps its own name and
 * labels, takes the exporter's timestamp when present and the scrape time otherwise,
 * and `le`/`quantile` label values are normalised as Prometheus 3 does ("1.0" → "1").
 */
export function scrapedSamples(families: readonly ScrapedFamily[], scrapeTs: number): RecordedSample[] {
  const out: RecordedSample[] = [];
  for (const family of families) {
    const type = normalizeMetricType(family.type);
    const help = family.help ?? "";
    for (const sample of family.samples) {
      let labels = sample.labels;
      if (labels.le !== undefined || labels.quantile !== undefined) {
        labels = { ...labels };
        if (labels.le !== undefined) labels.le = normalizeFloatLabel(labels.le);
        if (labels.quantile !== undefined) labels.quantile = normalizeFloatLabel(labels.quantile);
      }
      const explicit = sample.timestampMs !== undefined && Number.isFinite(sample.timestampMs);
      out.push({ metric: sample.name, labels, value: sample.value, ts: explicit ? Math.trunc(sample.timestampMs ?? 0) : scrapeTs, type, help, ...(explicit ? { explicitTimestamp: true } : {}) });
    }
  }
  return out;
}
