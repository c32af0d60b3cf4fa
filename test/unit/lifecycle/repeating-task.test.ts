import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RepeatingTask } from "../../../server/lifecycle/repeating-task";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("RepeatingTask", () => {
  it("runs after the first delay, then everyMs after each run ended, never overlapping", async () => {
    const calls: number[] = [];
    let gate = deferred();
    const task = new RepeatingTask({ run: () => {
        calls.push(Date.now());
        return gate.promise;
      }, everyMs: 100, onError: () => undefined });
    const t0 = Date.now();
    task.start(50);
    await vi.advanceTimersByTimeAsync(49);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([t0 + 50]);
    await vi.advanceTimersByTimeAsync(500); // still running: no second call
    expect(calls).toHaveLength(1);
    const ended = Date.now();
    gate.resolve();
    gate = deferred();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toEqual([t0 + 50, ended + 100]);
    gate.resolve();
    await task.stop();
  });

  it("reports a failed run and goes on", async () => {
    const errors: unknown[] = [];
    let n = 0;
    const task = new RepeatingTask({
      run: async () => {
        n += 1;
        if (n === 1) throw new Error("boom");
      },
      everyMs: 10,
      onError: (error) => errors.push(error),
    });
    task.start();
    await vi.advanceTimersByTimeAsync(25);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom"]);
    expect(n).toBeGreaterThanOrEqual(2);
    await task.stop();
  });

  it("wake runs at once when idle, and once more right after a run in progress", async () => {
    let n = 0;
    let gate = deferred();
    const task = new RepeatingTask({ run: () => {
        n += 1;
        return gate.promise;
      }, everyMs: 10_000, onError: () => undefined });
    task.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(n).toBe(1);
    task.wake(); // during the run
    gate.resolve();
    gate = deferred();
    await vi.advanceTimersByTimeAsync(0);
    expect(n).toBe(2);
    gate.resolve();
    await vi.advanceTimersByTimeAsync(0);
    task.wake(); // idle
    await vi.advanceTimersByTimeAsync(0);
    expect(n).toBe(3);
    await task.stop();
  });

  it("stop cancels the next run and waits for the one in progress", async () => {
    let n = 0;
    const gate = deferred();
    const task = new RepeatingTask({ run: () => {
        n += 1;
        return gate.promise;
      }, everyMs: 10, onError: () => undefined });
    task.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    expect(task.active).toBe(false);
    gate.resolve();
    await stopping;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(n).toBe(1);
    task.wake();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(n).toBe(1);
  });
});
