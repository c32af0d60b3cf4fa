import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Labels, MetricFamily } from "../../../server/scrape/metric-family";
import { ScrapeScheduler } from "../../../server/scrape/scheduler";
import { type ScrapeResult, Scraper } from "../../../server/scrape/scraper";
import { TargetHealthBook, syntheticFamilies } from "../../../server/scrape/target-health";
import { targetLabels } from "../../../server/scrape/target-labels";
import type { ScrapeTarget } from "../../../server/scrape/target-schema";

const OPERATOR = readFileSync(new URL("../../fixtures/exposition/controller-runtime-operator.txt", import.meta.url));

let flakyRequests = 0;
const server = http.createServer((req, res) => {
  if (req.url === "/metrics") {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(OPERATOR);
  } else if (req.url === "/broken") {
    res.writeHead(500);
    res.end();
  } else if (req.url === "/flaky") {
    // Healthy twice, then it starts serving a half-written exposition.
    flakyRequests++;
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(flakyRequests <= 2 ? "jobs_total 5\n" : 'jobs_total 5\njobs_failed{reason="timeout');
  } else {
    res.writeHead(404);
    res.end();
  }
});
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function target(id: number, path: string): ScrapeTarget {
  return { id, name: `target-${id}`, url: `${base}${path}`, intervalMs: 40, timeoutMs: 1_000, auth: { kind: "none" }, labels: { env: "test" }, honorLabels: false, enabled: true };
}

describe("scheduler + scraper + health, against real HTTP targets", () => {
  it("keeps Prometheus-style health per target and stores nothing from failed scrapes", async () => {
    const scraper = new Scraper();
    const book = new TargetHealthBook();
    const stored = new Map<number, MetricFamily[][]>();
    const synthetic = new Map<number, number[]>();
    const results = new Map<number, ScrapeResult[]>();
    const upLabels = new Map<number, Labels>();
    const scheduler = new ScrapeScheduler({
      scraper,
      firstScrapeDelayMs: () => 0,
      onResult: (t, result) => {
        book.record(t.id, result);
        results.set(t.id, [...(results.get(t.id) ?? []), result]);
        if (result.ok) stored.set(t.id, [...(stored.get(t.id) ?? []), result.families]);
        const up = syntheticFamilies(result, targetLabels(t))[0];
        upLabels.set(t.id, up.samples[0].labels);
        synthetic.set(t.id, [...(synthetic.get(t.id) ?? []), up.samples[0].value]);
      },
    });
    scheduler.replaceAll([target(1, "/metrics"), target(2, "/broken"), target(3, "/flaky")]);
    scheduler.start();
    try {
      await vi.waitFor(
        () => {
          expect(results.get(1)?.length ?? 0).toBeGreaterThanOrEqual(3);
          expect(results.get(2)?.length ?? 0).toBeGreaterThanOrEqual(3);
          expect(results.get(3)?.length ?? 0).toBeGreaterThanOrEqual(4);
        },
        { timeout: 10_000, interval: 10 },
      );
    } finally {
      await scheduler.stop();
      await scraper.close();
    }

    expect(upLabels.get(1)).toEqual({ env: "test", instance: new URL(base).host, job: "target-1" });
    expect(book.get(1)).toMatchObject({ up: true, lastSamples: 236, consecutiveFailures: 0 });
    expect(book.get(1).lastError).toBeUndefined();
    expect(stored.get(1)?.every((families) => families.reduce((n, f) => n + f.samples.length, 0) === 236)).toBe(true);

    expect(book.get(2)).toMatchObject({ up: false, lastSamples: 0, lastError: "HTTP 500 from target (Internal Server Error)" });
    expect(book.get(2).consecutiveFailures).toBe(results.get(2)?.length);
    expect(stored.has(2)).toBe(false);
    expect(new Set(synthetic.get(2))).toEqual(new Set([0]));

    const flaky = results.get(3)!;
    expect(flaky.slice(0, 2).map((r) => r.ok)).toEqual([true, true]);
    expect(flaky.slice(2).every((r) => !r.ok && r.error === "line 2: unterminated label value (missing closing '\"')")).toBe(true);
    expect(stored.get(3)).toHaveLength(2);
    expect(synthetic.get(3)?.slice(0, 3)).toEqual([1, 1, 0]);
    expect(book.get(3)).toMatchObject({ up: false, lastSamples: 0, consecutiveFailures: flaky.length - 2 });
    expect(book.get(3).lastSuccessAt).toBe(flaky[1].scrapedAt);
  });
});
