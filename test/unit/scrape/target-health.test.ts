import { describe, expect, it } from "vitest";
import type { ScrapeFailure, ScrapeSuccess } from "../../../server/scrape/scraper";
import { TargetHealthBook, healthColumns, nextHealth, syntheticFamilies, unknownHealth } from "../../../server/scrape/target-health";
import { targetLabels } from "../../../server/scrape/target-labels";

const ok = (scrapedAt: number, samples: number, durationMs: number): ScrapeSuccess => ({
  ok: true,
  families: [],
  samples,
  duplicates: 0,
  durationMs,
  scrapedAt,
  format: "text",
  bodyBytes: 100,
});
const failed = (scrapedAt: number, error: string, durationMs: number): ScrapeFailure => ({ ok: false, error, errorKind: "http", durationMs, scrapedAt, status: 500 });

describe("target health", () => {
  it("is unknown before the first scrape, then follows each result like Prometheus up", () => {
    let health = unknownHealth(7);
    expect(health).toEqual({ targetId: 7, up: null, consecutiveFailures: 0 });
    health = nextHealth(health, ok(1_000, 236, 12.5));
    expect(health).toEqual({ targetId: 7, up: true, lastScrapeAt: 1_000, lastDurationMs: 12.5, lastSamples: 236, lastSuccessAt: 1_000, consecutiveFailures: 0 });
    health = nextHealth(health, failed(2_000, "HTTP 500 from target (Internal Server Error)", 3));
    health = nextHealth(health, failed(3_000, "timed out after 2000 ms", 2000));
    expect(health).toEqual({
      targetId: 7,
      up: false,
      lastScrapeAt: 3_000,
      lastDurationMs: 2000,
      lastSamples: 0,
      lastError: "timed out after 2000 ms",
      lastSuccessAt: 1_000,
      consecutiveFailures: 2,
    });
    health = nextHealth(health, ok(4_000, 240, 10));
    expect(health.lastError).toBeUndefined();
    expect(health.consecutiveFailures).toBe(0);
  });

  it("maps a result to the scrape_targets health columns", () => {
    expect(healthColumns(ok(1_700_000_000_000, 99, 4.25))).toEqual({ up: true, lastScrapeAt: new Date(1_700_000_000_000), lastDurationMs: 4.25, lastSamples: 99, lastError: null });
    expect(healthColumns(failed(1_700_000_000_000, "response larger than 10 MiB", 40))).toEqual({
      up: false,
      lastScrapeAt: new Date(1_700_000_000_000),
      lastDurationMs: 40,
      lastSamples: 0,
      lastError: "response larger than 10 MiB",
    });
  });

  it("labels a target's series with instance and job, then its own labels, sorted", () => {
    expect(targetLabels({ name: "orders", url: "http://10.0.0.5:8080/metrics", labels: { team: "payments", env: "prod" } })).toEqual({
      env: "prod",
      instance: "10.0.0.5:8080",
      job: "orders",
      team: "payments",
    });
    expect(Object.keys(targetLabels({ name: "a", url: "https://a.example/metrics", labels: {} }))).toEqual(["instance", "job"]);
    expect(targetLabels({ name: "a", url: "https://a.example/metrics", labels: { instance: "custom" } }).instance).toBe("custom");
  });

  it("produces up, scrape_duration_seconds, scrape_samples_scraped/_post_metric_relabeling and the duplicates dropped", () => {
    const labels = { instance: "h:1", job: "j" };
    const summarize = (families: ReturnType<typeof syntheticFamilies>) => families.map((f) => [f.name, f.type, f.samples[0].name, f.samples[0].labels, f.samples[0].value]);
    expect(summarize(syntheticFamilies(ok(0, 236, 12.5), labels))).toEqual([
      ["up", "gauge", "up", labels, 1],
      ["scrape_duration_seconds", "gauge", "scrape_duration_seconds", labels, 0.0125],
      ["scrape_samples_scraped", "gauge", "scrape_samples_scraped", labels, 236],
      ["scrape_samples_post_metric_relabeling", "gauge", "scrape_samples_post_metric_relabeling", labels, 236],
      ["loopscope_scrape_duplicate_samples", "gauge", "loopscope_scrape_duplicate_samples", labels, 0],
    ]);
    expect(summarize(syntheticFamilies({ ...ok(0, 236, 12.5), duplicates: 3 }, labels)).map((row) => row[4])).toEqual([1, 0.0125, 239, 236, 3]);
    expect(summarize(syntheticFamilies(failed(0, "x", 2000), labels)).map((row) => row[4])).toEqual([0, 2, 0, 0, 0]);
  });

  it("keeps the latest health per target in a book", () => {
    const book = new TargetHealthBook();
    book.record(1, ok(1, 5, 1));
    book.record(2, failed(1, "boom", 1));
    book.record(2, failed(2, "boom again", 1));
    expect(book.get(1).up).toBe(true);
    expect(book.get(2)).toMatchObject({ up: false, lastError: "boom again", consecutiveFailures: 2 });
    expect(book.get(3)).toEqual(unknownHealth(3));
    expect(book.all().map((h) => h.targetId)).toEqual([1, 2]);
    book.forget(1);
    expect(book.all().map((h) => h.targetId)).toEqual([2]);
  });
});
