import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { runReconcile, settledAt } from "../../../server/leaks/reconcile-settlement";
import { currentReconcile, type ReconcileContext } from "../../../server/runtime/context";

const unit = (id: number): ReconcileContext => ({ controller: "orders", key: `default/o-${id}`, reconcileId: id, startedAt: Date.now() });

describe("runReconcile", () => {
  it("runs fn as the unit of work, in everything it awaits and schedules, and settles like fn", async () => {
    const ctx = unit(1);
    const seen: (ReconcileContext | undefined)[] = [];
    const value = await runReconcile(ctx, async () => {
      seen.push(currentReconcile());
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(currentReconcile());
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          seen.push(currentReconcile());
          resolve();
        }),
      );
      return 42;
    });
    expect(value).toBe(42);
    expect(seen).toEqual([ctx, ctx, ctx]);
    expect(settledAt(ctx)).toBeGreaterThanOrEqual(ctx.startedAt);
  });

  it("rejects with fn's error, thrown or rejected, and still records settlement", async () => {
    const thrown = unit(2);
    await expect(
      runReconcile(thrown, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(settledAt(thrown)).toBeDefined();
    const rejected = unit(3);
    await expect(runReconcile(rejected, () => Promise.reject(new Error("late")))).rejects.toThrow("late");
    expect(settledAt(rejected)).toBeDefined();
  });

  it("is not settled while fn is still running", async () => {
    const ctx = unit(4);
    let release = () => {};
    const running = runReconcile(ctx, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(settledAt(ctx)).toBeUndefined();
    release();
    await running;
    expect(settledAt(ctx)).toBeDefined();
  });

  it("keeps the caller's own async-local stores inside fn and leaves the caller's context as it was", async () => {
    const requestId = new AsyncLocalStorage<string>();
    await requestId.run("req-7", async () => {
      const ctx = unit(5);
      const inside: [string | undefined, ReconcileContext | undefined][] = [];
      const done = runReconcile(ctx, async () => {
        inside.push([requestId.getStore(), currentReconcile()]);
        await Promise.resolve();
        inside.push([requestId.getStore(), currentReconcile()]);
      });
      // The caller's synchronous code after the call, and after awaiting it, is not the unit of work.
      expect(currentReconcile()).toBeUndefined();
      await done;
      expect(currentReconcile()).toBeUndefined();
      expect(requestId.getStore()).toBe("req-7");
      expect(inside).toEqual([
        ["req-7", ctx],
        ["req-7", ctx],
      ]);
    });
  });

  it("nests: a unit of work started inside another is its own, and the outer one resumes after it", async () => {
    const outer = unit(6);
    const inner = unit(7);
    const seen: (number | undefined)[] = [];
    await runReconcile(outer, async () => {
      await runReconcile(inner, async () => {
        seen.push(currentReconcile()?.reconcileId);
      });
      seen.push(currentReconcile()?.reconcileId);
    });
    expect(seen).toEqual([7, 6]);
  });
});
