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

/**
 * How this Node.js carries async-local stores, and so every unit of work's context:
 * - "async-context-frame": a frame per context, carried by V8 itself (Node 24 and later by
 *   default; Node 22.7+ with --experimental-async-context-frame);
 * - "async-hooks": on async_hooks, which runs a hook on every promise and handle the process
 *   creates (Node 20 and 22 by default, or --no-async-context-frame). The leak tracker then
 *   costs about three times as much (in bench/leaks.ts's workload on Node 22: 0.84–0.87 of
 *   the throughput without it, against 0.95 with the flag).
 * Told apart by the async_hooks implementation's own method (`_propagate`).
 */
export type ContextPropagation = "async-context-frame" | "async-hooks";

export function contextPropagation(prototype: object = AsyncLocalStorage.prototype): ContextPropagation {
  return "_propagate" in prototype ? "async-hooks" : "async-context-frame";
}

/** What to tell someone whose Node.js carries contexts on async_hooks (null when it does not). */
export function contextPropagationHint(propagation: ContextPropagation, nodeVersion = process.versions.node): string | null {
  if (propagation === "async-context-frame") return null;
  const [major, minor] = nodeVersion.split(".").map(Number);
  const remedy =
    major >= 24
      ? "start it without --no-async-context-frame"
      : major === 22 && minor >= 7
        ? "start it with --experimental-async-context-frame (e.g. NODE_OPTIONS=--experimental-async-context-frame)"
        : "use Node.js 24 or later, or 22.7+ with --experimental-async-context-frame";
  return `AsyncLocalStorage runs on async_hooks in this Node.js ${nodeVersion}, so tracking each unit of work costs about three times as much: ${remedy}`;
}
