import { AsyncLocalStorage } from "node:async_hooks";

/** Which reconcile is running. Every reconcile runs inside this context. */
export interface ReconcileContext {
  controller: string;
  key: string;
  reconcileId: number;
  startedAt: number;
}

export const reconcileContext = new AsyncLocalStorage<ReconcileContext>();

/**
 * What the leak tracker keeps on a context: when its unit of work settled, whether its
 * resources get creation stacks, the timers it created while running (they ride on the
 * unit until it settles, see server/leaks/resource-recorder.ts), and what to tell the
 * tracker when it settles. Registered symbols, so every bundle (Loopscope's, the agent's)
 * shares them.
 */
export const SETTLED_AT: unique symbol = Symbol.for("loopscope.reconcileSettledAt");
export const CAPTURE_STACKS: unique symbol = Symbol.for("loopscope.captureStacks");
export const UNIT_TIMERS: unique symbol = Symbol.for("loopscope.unitTimers");
export const ON_SETTLED: unique symbol = Symbol.for("loopscope.onSettled");

/** Told that a unit of work settled; answers whether it still holds something its settlement time must judge. */
export type SettlementHook = (ctx: ReconcileContext) => boolean;

/** A context with the leak tracker's marks (declared on contexts from newReconcileContext, added to literal ones). */
export type MarkedContext = ReconcileContext & {
  [SETTLED_AT]?: number;
  [CAPTURE_STACKS]?: boolean;
  [UNIT_TIMERS]?: unknown;
  [ON_SETTLED]?: SettlementHook;
};

class UnitContext implements ReconcileContext {
  [SETTLED_AT]: number | undefined;
  [CAPTURE_STACKS]: boolean | undefined;
  [UNIT_TIMERS]: unknown;
  [ON_SETTLED]: SettlementHook | undefined;
  constructor(
    readonly controller: string,
    readonly key: string,
    readonly reconcileId: number,
    readonly startedAt: number,
  ) {
    this[SETTLED_AT] = undefined;
    this[CAPTURE_STACKS] = undefined;
    this[UNIT_TIMERS] = undefined;
    this[ON_SETTLED] = undefined;
  }
}

/**
 * A context for one unit of work, starting now. Its leak-tracking slots are declared up
 * front, so filling them later never changes the object's shape (a context written as a
 * literal works too, and costs ~20 ns more per unit of work that creates a timer).
 */
export function newReconcileContext(controller: string, key: string, reconcileId: number): ReconcileContext {
  return new UnitContext(controller, key, reconcileId, Date.now());
}

export function currentReconcile(): ReconcileContext | undefined {
  return reconcileContext.getStore();
}
