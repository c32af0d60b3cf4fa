import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "../../../server/log";
import { ScrapeScheduler, type TargetScraper, phaseOffsetDelay } from "../../../server/scrape/scheduler";
import type { ScrapeRequest, ScrapeResult } from "../../../server/scrape/scraper";
import type { ScrapeTarget } from "../../../server/scrape/target-schema";

function target(id: number, overrides: Partial<ScrapeTarget> = {}): ScrapeTarget {
  return { id, name: `t${id}`, url: `http://t${id}.test/metrics`, intervalMs: 20, timeoutMs: 20, auth: { kind: "none" }, labels: {}, honorLabels: false, enabled: true, ...overrides };
}

interface Call {
  request: ScrapeRequest;
  signal: AbortSignal | undefined;
}

/** A scraper whose scrapes take `durationMs` (or until aborted), recording concurrency per URL. */
class RecordingScraper implements TargetScraper {
  readonly calls: Call[] = [];
  readonly running = new Map<string, number>();
  maxConcurrent = 0;
  constructor(public durationMs = 1) {}

  async scrape(request: ScrapeRequest, signal?: AbortSignal): Promise<ScrapeResult> {
    this.calls.push({ request, signal });
    const now = (this.running.get(request.url) ?? 0) + 1;
    this.running.set(request.url, now);
    this.maxConcurrent = Math.max(this.maxConcurrent, now);
    const scrapedAt = Date.now();
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.durationMs);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (signal?.aborted) return { ok: false, error: "scrape cancelled", errorKind: "cancelled", durationMs: 0, scrapedAt };
      return { ok: true, families: [], samples: 1, duplicates: 0, durationMs: this.durationMs, scrapedAt, format: "text", bodyBytes: 1 };
    } finally {
      this.running.set(request.url, (this.running.get(request.url) ?? 1) - 1);
    }
  }
}

const schedulers: ScrapeScheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
});

function setup(scraper: TargetScraper, onResult: (t: ScrapeTarget, r: ScrapeResult) => void | Promise<void> = () => {}) {
  const results: { target: ScrapeTarget; result: ScrapeResult }[] = [];
  const scheduler = new ScrapeScheduler({
    scraper,
    firstScrapeDelayMs: () => 0,
    logger: log.child({ test: "scheduler" }, { level: "silent" }),
    onResult: async (t, r) => {
      results.push({ target: t, result: r });
      await onResult(t, r);
    },
  });
  schedulers.push(scheduler);
  const count = (id: number) => results.filter((r) => r.target.id === id).length;
  return { scheduler, results, count };
}

describe("ScrapeScheduler", () => {
  it("scrapes every target repeatedly and reports each result with its target", async () => {
    const scraper = new RecordingScraper();
    const { scheduler, results, count } = setup(scraper);
    scheduler.upsert(target(1));
    scheduler.upsert(target(2, { auth: { kind: "bearer", token: "tok" }, timeoutMs: 15 }));
    scheduler.start();
    await vi.waitFor(() => expect(Math.min(count(1), count(2))).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 5 });
    expect(results.every((r) => r.result.ok)).toBe(true);
    expect(scraper.calls.find((c) => c.request.url === "http://t2.test/metrics")?.request).toEqual({ url: "http://t2.test/metrics", timeoutMs: 15, auth: { kind: "bearer", token: "tok" } });
  });

  it("never scrapes a target twice at once, even when scrapes overrun the interval", async () => {
    const scraper = new RecordingScraper(45);
    const { scheduler, count } = setup(scraper);
    scheduler.upsert(target(1, { intervalMs: 10 }));
    scheduler.start();
    await vi.waitFor(() => expect(count(1)).toBeGreaterThanOrEqual(4), { timeout: 5_000, interval: 5 });
    expect(scraper.maxConcurrent).toBe(1);
  });

  it("stops scraping a removed target and keeps scraping the others", async () => {
    const { scheduler, count } = setup(new RecordingScraper());
    scheduler.upsert(target(1));
    scheduler.upsert(target(2));
    scheduler.start();
    await vi.waitFor(() => expect(count(1)).toBeGreaterThanOrEqual(1), { timeout: 5_000, interval: 2 });
    scheduler.remove(1);
    const frozen = count(1);
    const mark = count(2);
    await vi.waitFor(() => expect(count(2)).toBeGreaterThanOrEqual(mark + 5), { timeout: 5_000, interval: 5 });
    expect(count(1)).toBe(frozen);
    expect(scheduler.list().map((t) => t.id)).toEqual([2]);
  });

  it("restarts a target whose URL changed, cancelling and not reporting its running scrape", async () => {
    const scraper = new RecordingScraper(10_000); // only ends when aborted
    const { scheduler, results } = setup(scraper);
    scheduler.upsert(target(1, { intervalMs: 20_000, timeoutMs: 10_000 }));
    scheduler.start();
    await vi.waitFor(() => expect(scraper.calls).toHaveLength(1), { timeout: 5_000, interval: 2 });
    scheduler.upsert(target(1, { url: "http://new.test/metrics", intervalMs: 20_000, timeoutMs: 10_000 }));
    expect(scraper.calls[0].signal?.aborted).toBe(true);
    await vi.waitFor(() => expect(scraper.calls).toHaveLength(2), { timeout: 5_000, interval: 2 });
    expect(scraper.calls[1].request.url).toBe("http://new.test/metrics");
    expect(results).toHaveLength(0);
  });

  it("keeps the schedule when only the name or labels change, and reports the new target", async () => {
    const scraper = new RecordingScraper();
    const { scheduler, results } = setup(scraper);
    scheduler.upsert(target(1));
    scheduler.start();
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(1), { timeout: 5_000, interval: 2 });
    scheduler.upsert(target(1, { name: "renamed", labels: { team: "a" } }));
    const before = results.length;
    await vi.waitFor(() => expect(results.length).toBeGreaterThanOrEqual(before + 2), { timeout: 5_000, interval: 2 });
    expect(results.at(-1)?.target).toMatchObject({ name: "renamed", labels: { team: "a" } });
    expect(scraper.calls.every((c) => !c.signal?.aborted)).toBe(true);
  });

  it("does not scrape disabled targets, and scrapes them once enabled", async () => {
    const { scheduler, count } = setup(new RecordingScraper());
    scheduler.upsert(target(1, { enabled: false }));
    scheduler.upsert(target(2));
    scheduler.start();
    await vi.waitFor(() => expect(count(2)).toBeGreaterThanOrEqual(4), { timeout: 5_000, interval: 5 });
    expect(count(1)).toBe(0);
    expect(await scheduler.scrapeNow(1)).toBeUndefined();
    scheduler.upsert(target(1));
    await vi.waitFor(() => expect(count(1)).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 5 });
  });

  it("scrapes on demand with scrapeNow and reports it", async () => {
    const { scheduler, results } = setup(new RecordingScraper());
    scheduler.upsert(target(1, { intervalMs: 3_600_000, timeoutMs: 1_000 }));
    scheduler.start();
    await vi.waitFor(() => expect(results).toHaveLength(1), { timeout: 5_000, interval: 2 }); // the first, immediate scrape
    const result = await scheduler.scrapeNow(1);
    expect(result).toMatchObject({ ok: true, samples: 1 });
    expect(results).toHaveLength(2);
  });

  it("keeps scraping when onResult throws", async () => {
    const { scheduler, count } = setup(new RecordingScraper(), () => {
      throw new Error("database down");
    });
    scheduler.upsert(target(1));
    scheduler.start();
    await vi.waitFor(() => expect(count(1)).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 5 });
  });

  it("stop() cancels running scrapes, waits for onResult calls in progress, and nothing is reported after", async () => {
    let release: () => void = () => {};
    let handling = false;
    let handled = false;
    const scraper = new RecordingScraper(10_000);
    const { scheduler, results } = setup(new RecordingScraper(), async (t) => {
      if (t.id !== 1) return;
      handling = true;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      handled = true;
    });
    const slow = new ScrapeScheduler({ scraper, firstScrapeDelayMs: () => 0, onResult: () => void results.push({ target: target(9), result: { ok: false, error: "x", errorKind: "network", durationMs: 0, scrapedAt: 0 } }) });
    slow.upsert(target(9, { intervalMs: 20_000, timeoutMs: 10_000 }));
    slow.start();
    scheduler.upsert(target(1));
    scheduler.start();
    await vi.waitFor(() => expect(handling && scraper.calls.length === 1).toBe(true), { timeout: 5_000, interval: 2 });

    await slow.stop();
    expect(scraper.calls[0].signal?.aborted).toBe(true);
    expect(results.some((r) => r.target.id === 9)).toBe(false);

    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stopped).toBe(false); // still waiting for onResult
    release();
    await stopping;
    expect(handled).toBe(true);
    const after = results.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(results.length).toBe(after);
  });

  it("spreads first scrapes by a stable per-target phase within the interval", () => {
    const t = target(42, { intervalMs: 15_000 });
    const delays = [0, 1_000, 7_777, 14_999].map((now) => phaseOffsetDelay(t, 1_700_000_000_000 + now));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(15_000);
    }
    // The phase is fixed on the wall clock: now + delay lands on the same point of the interval.
    const phases = [0, 1_000, 7_777, 14_999].map((now, k) => (1_700_000_000_000 + now + delays[k]) % 15_000);
    expect(new Set(phases).size).toBe(1);
    const spread = new Set(Array.from({ length: 50 }, (_, id) => phaseOffsetDelay(target(id, { intervalMs: 15_000 }), 0)));
    expect(spread.size).toBeGreaterThan(40);
  });
});
