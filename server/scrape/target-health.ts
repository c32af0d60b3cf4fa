import type { Labels, MetricFamily } from "./metric-family";
import type { ScrapeResult } from "./scraper";

/**
 * Per-target health as Prometheus reports it: `up` after each scrape, when it ran, how
 * long it took, how many samples it returned and the last error. Also the synthetic
 * series Prometheus records for every target (`up`, `scrape_duration_seconds`,
 * `scrape_samples_scraped`), as families the recorder stores like scraped ones.
 */

export interface TargetHealth {
  readonly targetId: number;
  /** null until the first scrape has finished. */
  readonly up: boolean | null;
  /** Epoch ms when the last scrape started. */
  readonly lastScrapeAt?: number;
  readonly lastDurationMs?: number;
  /** Samples returned by the last scrape (0 when it failed, as `scrape_samples_scraped`). */
  readonly lastSamples?: number;
  /** The last scrape's error; absent when it succeeded. */
  readonly lastError?: string;
  readonly lastSuccessAt?: number;
  /** Failed scrapes since the last success. */
  readonly consecutiveFailures: number;
}

/** The columns of `scrape_targets` that carry health (Prisma field names). */
export interface TargetHealthColumns {
  up: boolean;
  lastScrapeAt: Date;
  lastDurationMs: number;
  lastSamples: number;
  lastError: string | null;
}

export function unknownHealth(targetId: number): TargetHealth {
  return { targetId, up: null, consecutiveFailures: 0 };
}

/** The health after one more scrape. */
export function nextHealth(previous: TargetHealth, result: ScrapeResult): TargetHealth {
  const base = { targetId: previous.targetId, lastScrapeAt: result.scrapedAt, lastDurationMs: result.durationMs };
  if (result.ok) return { ...base, up: true, lastSamples: result.samples, lastSuccessAt: result.scrapedAt, consecutiveFailures: 0 };
  const failed: TargetHealth = { ...base, up: false, lastSamples: 0, lastError: result.error, consecutiveFailures: previous.consecutiveFailures + 1 };
  return previous.lastSuccessAt === undefined ? failed : { ...failed, lastSuccessAt: previous.lastSuccessAt };
}

/** What to write to the target's row after a scrape. */
export function healthColumns(result: ScrapeResult): TargetHealthColumns {
  return {
    up: result.ok,
    lastScrapeAt: new Date(result.scrapedAt),
    lastDurationMs: result.durationMs,
    lastSamples: result.ok ? result.samples : 0,
    lastError: result.ok ? null : result.error,
  };
}

/**
 * `up`, `scrape_duration_seconds`, `scrape_samples_scraped` and
 * `scrape_samples_post_metric_relabeling` for one scrape (as Prometheus records them),
 * plus `loopscope_scrape_duplicate_samples` (repeats of a series in the exposition,
 * dropped), with `labels` (usually `targetLabels`). Stamp them with `result.scrapedAt`.
 */
export function syntheticFamilies(result: ScrapeResult, labels: Labels): MetricFamily[] {
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, type: "gauge", help, samples: [{ name, labels: { ...labels }, value }] });
  return [
    gauge("up", "1 if the last scrape of the target succeeded, 0 if it failed.", result.ok ? 1 : 0),
    gauge("scrape_duration_seconds", "How long the scrape of the target took, in seconds.", result.durationMs / 1000),
    gauge("scrape_samples_scraped", "How many samples the target exposed (0 when the scrape failed).", result.ok ? result.samples + result.duplicates : 0),
    gauge("scrape_samples_post_metric_relabeling", "How many of the target's samples were kept (0 when the scrape failed).", result.ok ? result.samples : 0),
    gauge("loopscope_scrape_duplicate_samples", "Samples the target exposed twice for the same series (the repeats are dropped).", result.ok ? result.duplicates : 0),
  ];
}

/** The current health of every scheduled target, in memory (the row in Postgres is the durable copy). */
export class TargetHealthBook {
  private readonly byId = new Map<number, TargetHealth>();

  /** Records a scrape result and returns the target's new health. */
  record(targetId: number, result: ScrapeResult): TargetHealth {
    const health = nextHealth(this.byId.get(targetId) ?? unknownHealth(targetId), result);
    this.byId.set(targetId, health);
    return health;
  }

  get(targetId: number): TargetHealth {
    return this.byId.get(targetId) ?? unknownHealth(targetId);
  }

  all(): TargetHealth[] {
    return [...this.byId.values()];
  }

  forget(targetId: number): void {
    this.byId.delete(targetId);
  }
}
