import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { LeakTracker } from "../../../server/leaks/leak-tracker";
import { testServices } from "../../support/services";
import { createCallerFactory } from "../../../server/trpc/init";
import { leaksRouter } from "../../../server/trpc/routers/leaks";
import { Cleanup, reconcileOf, SkewClock } from "../../leak-corpus/harness";

const services = testServices();

const caller = createCallerFactory(leaksRouter)({ headers: new Headers(), services });
const cleanup = new Cleanup();
let tracker: LeakTracker | undefined;

afterEach(async () => {
  services.leaks.withdraw();
  await tracker?.stop();
  tracker = undefined;
  await cleanup.run();
});

async function leakingTracker(): Promise<{ t: LeakTracker; clock: SkewClock; before: number }> {
  const clock = new SkewClock();
  tracker = new LeakTracker({
    graceMs: 1_000,
    stackSampleRate: 1,
    countIntervalMs: 3_600_000,
    sampleIntervalMs: 3_600_000,
    // Samples come a second apart: the trend test over 3.5 s (4 samples), risen within 2 s.
    growth: { windowsMs: [3_500], recentMs: 2_000 },
    snapshotIntervalMs: 0,
    registry: new Registry(),
    now: clock.now,
  });
  await tracker.start();
  services.leaks.provide(tracker);
  const t = tracker;
  const before = clock.now();
  t.sample();
  for (let round = 0; round < 5; round++) {
    await t.trackReconcile(reconcileOf("deployments", `apps/web-${round}`), () => {
      const timer = setInterval(() => undefined, 60_000);
      cleanup.add(() => clearInterval(timer));
    });
    clock.advance(1_000);
    t.sample();
    t.countResources();
  }
  return { t, clock, before };
}

describe("leaks tRPC router", () => {
  it("lists suspects, a suspect's detail, a diff and the active-resource history", async () => {
    const { clock, before } = await leakingTracker();
    const { suspects, unattributed } = await caller.suspects();
    expect(suspects).toHaveLength(1);
    expect(unattributed.every((g) => !g.suspect)).toBe(true);
    const detail = await caller.suspect({ id: suspects[0].id });
    expect(detail).toMatchObject({ type: "Timeout", count: 5, controllers: [{ controller: "deployments", count: 5 }] });
    expect(detail.stack[0]).toContain("leaks-router.test.ts");
    expect(detail.sampleKeys).toContain("apps/web-3");
    expect(detail.history.map((p) => p.count)).toEqual([1, 2, 3, 4, 5]);
    expect(detail.trend.growing).toBe(true);

    const diff = await caller.diff({ from: before, to: clock.now() });
    expect(diff.grown.map((g) => [g.id, g.delta])).toEqual([[suspects[0].id, 5]]);
    // One count at start, one per round.
    expect((await caller.activeResources({ since: 0 })).length).toBe(6);
    expect((await caller.groups()).length).toBeGreaterThanOrEqual(1);
  });

  it("switches full capture and deep mode, and reports them in the status", async () => {
    await leakingTracker();
    const { fullCaptureUntil } = await caller.setFullCapture({ minutes: 10 });
    expect(fullCaptureUntil).toBeGreaterThan(Date.now());
    expect(await caller.setDeepMode({ enabled: true })).toEqual({ deepMode: true });
    expect(await caller.status()).toMatchObject({ deepMode: true, fullCaptureUntil, effectiveStackSampleRate: 1, installed: true, suspects: 1 });
    await caller.setFullCapture({ minutes: 0 });
    await caller.setDeepMode({ enabled: false });
    expect(await caller.status()).toMatchObject({ deepMode: false, fullCaptureUntil: null });
  });

  it("validates input and says when a group or the service is missing", async () => {
    await leakingTracker();
    await expect(caller.suspect({ id: "not-an-id" })).rejects.toThrow(/12-hex-digit/);
    await expect(caller.suspect({ id: "0123456789ab" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller.diff({ from: 2_000, to: 1_000 })).rejects.toThrow(/must not be before/);
    await expect(caller.setFullCapture({ minutes: -1 })).rejects.toThrow();
    services.leaks.withdraw();
    await expect(caller.status()).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
  });
});
