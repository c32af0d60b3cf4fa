import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoroutineCollector, type GoTarget } from "../../../server/goroutines/goroutine-collector";
import { DEFAULT_OUTBOUND_POLICY } from "../../../server/outbound/policy";
import { Scraper } from "../../../server/scrape/scraper";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { waitFor } from "../../leak-corpus/harness";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { ensureGoPrograms, startGoOperator } from "../../support/go-programs";

/**
 * The real controller-runtime operator (test/fixtures/go-operator, built with the
 * machine's Go from the module proxy) leaking one goroutine per reconcile, collected
 * through its PprofBindAddress. The collector runs at a 1 s interval here instead of the
 * product's 30 s: the trend windows are multiples of the interval, so the logic is the same.
 */
const INTERVAL_MS = 1_000;
const LEAKING_LINE = "test/fixtures/go-operator/main.go:35";

let db: TestDatabase;
let prisma: PrismaClient;
let operator: Awaited<ReturnType<typeof startGoOperator>>;
let collector: GoroutineCollector;
let target: GoTarget;

beforeAll(async () => {
  await ensureGoPrograms();
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  operator = await startGoOperator({ reconcileEveryMs: 100 });
  target = { id: 1, name: "go-operator", pprofUrl: operator.pprofUrl };
  collector = new GoroutineCollector({ prisma, targets: async () => [target], policy: DEFAULT_OUTBOUND_POLICY, intervalMs: INTERVAL_MS });
}, 900_000);

afterAll(async () => {
  await collector?.stop();
  await operator?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

describe("Go goroutine leaks through pprof (real controller-runtime operator)", () => {
  it("serves controller-runtime's real workqueue metrics for the controller", async () => {
    const scraper = new Scraper();
    const result = await scraper.scrape({ url: operator.metricsUrl, timeoutMs: 5_000 });
    await scraper.close();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const adds = result.families.find((f) => f.name === "workqueue_adds_total" || f.name === "workqueue_adds");
    expect(adds?.samples.some((s) => s.labels.controller === "leaky")).toBe(true);
    expect(result.families.some((f) => f.name === "go_goroutines")).toBe(true);
  });

  it("a leak becomes one suspect group whose top user frame is the leaking line; when it stops, the group stops growing and the suspect clears", async () => {
    await collector.start();
    await waitFor(() => (collector.target(1)?.lastCollectAt ?? 0) > 0, "a first collection", 30_000, 100);
    expect(collector.target(1)?.suspects).toEqual([]);
    const before = Date.now();
    await operator.setLeaking(true);
    await waitFor(() => (collector.target(1)?.suspects.length ?? 0) > 0, "a goroutine suspect", 120_000, 100);
    const detectedAfterMs = Date.now() - before;
    const suspects = collector.target(1)!.suspects;
    expect(suspects).toHaveLength(1);
    expect(suspects[0]).toMatchObject({ state: "chan send", reasons: ["growth"] });
    expect(suspects[0].topUserFrame).toContain(LEAKING_LINE);
    expect(suspects[0].growthPerMinute).toBeGreaterThan(0);
    // 3.5 intervals of growth are needed; a loaded machine may take longer, never minutes at this interval.
    expect(detectedAfterMs).toBeLessThan(120 * INTERVAL_MS);

    await operator.setLeaking(false);
    const stoppedAt = Date.now();
    await waitFor(() => (collector.target(1)?.suspects.length ?? 1) === 0, "the suspect to clear", 120_000, 100);
    expect(Date.now() - stoppedAt).toBeLessThan(120 * INTERVAL_MS);
    // The group stopped growing: two dumps a few intervals apart hold the same number of leaked goroutines.
    const countOf = async () => {
      const snapshots = await collector.history(1, Date.now() - 60_000, Date.now());
      const groups = await prisma.goroutineGroup.findMany({ where: { targetId: 1, topFrame: { contains: LEAKING_LINE } } });
      expect(groups).toHaveLength(1);
      return snapshots[snapshots.length - 1].counts.get(groups[0].id) ?? 0;
    };
    const first = await countOf();
    const seen = collector.target(1)!.lastCollectAt!;
    await waitFor(() => (collector.target(1)?.lastCollectAt ?? 0) >= seen + 3 * INTERVAL_MS, "three more dumps", 60_000, 100);
    expect(first).toBeGreaterThan(5);
    expect(await countOf()).toBe(first);

    // The diff across the leak lists the grown group first.
    const diff = await collector.diff(1, before, Date.now());
    expect(diff.grown[0].topFrame).toContain(LEAKING_LINE);
    expect(diff.grown[0].delta).toBe(first);
    expect(collector.target(1)).toMatchObject({ lastError: null, leakProfile: false });
    expect(collector.target(1)!.collectorCpuMsPerMinute).toBeGreaterThan(0);
    console.log(JSON.stringify({ detectedAfterMs, clearedAfterMs: Date.now() - stoppedAt, leaked: first, cpuMsPerMinute: collector.target(1)!.collectorCpuMsPerMinute }));
  }, 300_000);
});
