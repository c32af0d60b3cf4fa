import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { type Clock, setLongTimer, systemClock } from "../../../server/runtime/clock";
import { Controller } from "../../../server/runtime/controller/controller";
import { requeueAfter } from "../../../server/runtime/controller/result";
import { DelayingQueue } from "../../../server/runtime/workqueue/delaying-queue";

const DAY_MS = 86_400_000;

/** The process clock, counting how often a timer longer than a minute is set (each one a wake-up to come). */
function countingClock(): Clock & { longTimersSet: number } {
  const clock = {
    longTimersSet: 0,
    now: () => systemClock.now(),
    setTimer(callback: () => void, ms: number) {
      if (ms > 60_000) clock.longTimersSet += 1;
      return systemClock.setTimer(callback, ms);
    },
    clearTimer: systemClock.clearTimer,
  };
  return clock;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("timers longer than Node's 2^31−1 ms limit (real timers)", () => {
  it("a 30-day addAfter arms one timer and stays asleep instead of re-arming every millisecond", async () => {
    const clock = countingClock();
    const queue = new DelayingQueue<string>({ clock });
    cleanups.push(() => queue.shutDown());
    queue.addAfter("far", 30 * DAY_MS);
    await sleep(300);
    expect(queue.delayedCount()).toBe(1);
    expect(queue.depth()).toBe(0);
    expect(clock.longTimersSet).toBe(1);
    expect(queue.readyAt("far")).toBeGreaterThan(clock.now() + 29 * DAY_MS);
  });

  it("a controller's requeueAfter of 40 days reconciles once and wakes up no more", async () => {
    const clock = countingClock();
    let calls = 0;
    const controller = new Controller({
      name: "far",
      registry: false,
      clock,
      reconcile: () => {
        calls += 1;
        return requeueAfter(40 * DAY_MS);
      },
    });
    cleanups.push(() => controller.stop(1_000));
    controller.start();
    controller.enqueue("k");
    await sleep(300);
    expect(calls).toBe(1);
    expect(controller.queue.delayedCount()).toBe(1);
    expect(clock.longTimersSet).toBe(1);
  });

  it("a capped timer re-arms for the rest and fires once, on time", async () => {
    const started = performance.now();
    const firedAt: number[] = [];
    await new Promise<void>((resolve) =>
      setLongTimer(() => {
        firedAt.push(performance.now() - started);
        resolve();
      }, 120, 25),
    );
    await sleep(100);
    expect(firedAt).toHaveLength(1);
    expect(firedAt[0]).toBeGreaterThanOrEqual(119);
  });

  it("clearing a capped timer between its parts cancels it", async () => {
    let fired = 0;
    const handle = setLongTimer(() => {
      fired += 1;
    }, 10_000, 20);
    await sleep(50);
    systemClock.clearTimer(handle);
    await sleep(200);
    expect(fired).toBe(0);
  });

  it("rejects a chunk outside Node's timer range", () => {
    expect(() => setLongTimer(() => undefined, 10, 2 ** 31)).toThrow(/maxChunkMs/);
    expect(() => setLongTimer(() => undefined, 10, 0)).toThrow(/maxChunkMs/);
  });
});
