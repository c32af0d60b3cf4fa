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
 * What the leak tracker keeps on a context: when its unit of work settled, and whether
 * its resources get creation stacks. Registered symbols, so every bundle (Loopscope's,
 * the agent's) shares them.
 */
export const SETTLED_AT: unique symbol = Symbol.for("loopscope.reconcileSettledAt");
export const CAPTURE_STACKS: unique symbol = Symbol.for("loopscope.captureStacks");

class UnitContext implements ReconcileContext {
  [SETTLED_AT]: number | undefined;
  [CAPTURE_STACKS]: boolean | undefined;
  constructor(
    readonly controller: string,
    readonly key: string,
    readonly reconcileId: number,
    readonly startedAt: number,
  ) {
    this[SETTLED_AT] = undefined;
    this[CAPTURE_STACKS] = undefined;
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
