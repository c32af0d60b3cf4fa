import { CAPTURE_STACKS, type MarkedContext, ON_SETTLED, type ReconcileContext, reconcileContext, SETTLED_AT, type SettlementHook, UNIT_TIMERS } from "../runtime/context";
import { type CreationStack, captureCreationStack, type StackAnchor } from "./creation-stack";
import type { PendingResource, ResourceSink } from "./interception/resource-sink";
import { livenessOf } from "./liveness";
import type { PromiseSink } from "./promise-tracking";
import { stampSettlement } from "./reconcile-settlement";
import type { ResourceTable } from "./resource-table";
import type { TrackedType } from "./resource-types";
import { TrackedResource } from "./tracked-resource";

/** Ids of intercepted resources: negative (promises get positive ones), unique per process. */
let nextInterceptedId = 0;
let nextPromiseId = 0;
/**
 * On a tracked promise: 0 while it is on the young list, its table id once in the table,
 * -1 once settled. Untracked promises never carry it.
 */
const PROMISE_STATE = Symbol("loopscope.promiseState");
/** Promises waiting in the young list before it is flushed into the table regardless of the sweep. */
const YOUNG_PROMISES_MAX = 4_096;
/**
 * Values per young promise in the flat list: promise, context, stack. No creation time:
 * a promise is only ever judged by its reconcile's settlement (promises outside a
 * reconcile are not tracked), so it takes the flush's time and the hot path saves a
 * clock read per promise.
 */
const PROMISE_STRIDE = 3;
/** On a tracked timer: its table id, so clearing it forgets it at once. */
const TRACKED_ID = Symbol("loopscope.trackedId");
/** Promises outnumber handles 10–100 to 1, so their stacks are sampled this much more sparsely. */
const PROMISE_RATE_FACTOR = 0.1;
/** At the cap, a sweep for dead entries is tried at most this often before dropping. */
const RESCUE_SWEEP_EVERY_MS = 100;
/**
 * Most sampled stack captures per second (reconciles whose resources get stacks,
 * unattributed timers, and promises in deep mode). One V8 capture in warm, optimized code costs tens of µs, so at
 * thousands of reconciles a second a 10 % sample alone would cost several per cent of
 * the process; past this budget the sample thins out (a leak still gets stacks from the
 * budget's share, or every stack once its controller is hot). Full capture and hot
 * controllers are not limited.
 */
export const MAX_SAMPLED_CAPTURES_PER_SECOND = 100;
/**
 * Timers waiting in the young list before it is flushed regardless of the sweep. Short on
 * purpose: everything on the list (the timer, its callback, its unit of work's context)
 * survives the young-generation collections that happen meanwhile, and V8 grows a busy
 * process's young generation by the bytes that survive (at 1,024 entries it grew from
 * 16 to 64 MB on bench/agent-workload.mjs), which costs every allocation cache misses.
 * A unit's own timers only come here if they are still pending when it settles (see
 * UNIT_TIMERS_MAX), so in a healthy process the list holds next to nothing.
 */
const YOUNG_TIMERS_MAX = 16;
/**
 * Timers a running unit of work carries on its context (see ResourceRecorder.holdOnUnit).
 * Past this many, the cleared and fired ones are dropped from it and, if half of them
 * are still pending, those go to the young list (and on to the table) as the unit runs.
 */
const UNIT_TIMERS_MAX = 16;
/** Values per timer a unit carries when it carries more than one, or a stack: handle, stack. */
const UNIT_STRIDE = 2;
/**
 * Values per young timer in the flat list: handle, context, stack, createdAt.
 * createdAt is only read for timers outside a unit of work (they are judged by their age);
 * a unit's timers are judged by its settlement, so they take the time they are moved to the table.
 */
const YOUNG_STRIDE = 4;

type Marked = Record<symbol | string, unknown>;

/** 2^32 / golden ratio: multiplying by it spreads consecutive ids evenly over 32 bits (Fibonacci hashing). */
const FIBONACCI_MULTIPLIER = 0x9e3779b9;

/** Whether reconcile `id` falls in a `rate` share of reconciles (consecutive ids are sampled evenly). */
export function sampledReconcile(id: number, rate: number): boolean {
  return Math.imul(id, FIBONACCI_MULTIPLIER) >>> 0 < rate * 2 ** 32;
}

/**
 * Turns what the interceptors and the promise hook report into table entries, on the
 * hot path of every timer, socket and (in deep mode) promise a reconcile creates:
 * - only resources created inside a reconcile are always recorded; outside one, timers
 *   are sampled at the stack rate and rarer handles recorded within their own cap;
 * - stacks are captured for a sampled share of reconciles (decided once per
 *   reconcile, so a leak's resources all land in the same group), for every reconcile
 *   of a "hot" controller, and for everything during full capture;
 * - when the table is full, a sweep for dead entries is tried (rate-limited), then
 *   the resource is counted as dropped.
 */
export class ResourceRecorder {
  /** The stack sample rate in force (1 during full capture). */
  captureRate: number;
  /** Controllers whose every stack is captured (they have a suspect without a stack). */
  hotControllers: ReadonlySet<string> = new Set();
  private readonly seenHandles = new WeakSet<object>();
  /** Pending promises the collector freed leave the table as soon as it says so. */
  private readonly collectedPromises = new FinalizationRegistry<number>((id) => this.table.delete(id));
  private lastRescueSweep = Number.NEGATIVE_INFINITY;
  /** The capture budget's current one-second window (performance.now(), real time whatever the tracker's clock) and what it spent. */
  private budgetWindowStart = Number.NEGATIVE_INFINITY;
  private budgetSpent = 0;
  /**
   * Timers waiting to become table entries, flat (see YOUNG_STRIDE): those a unit of work
   * still had pending when it settled (until then they ride on the unit, see holdOnUnit),
   * those created after their unit settled, and sampled ones outside any unit. Many are
   * cleared or fire soon after, so a timer first only goes on this list — no table entry,
   * no mark on the handle, nothing for clearTimeout to undo — and becomes a table entry
   * at the next flush (every sweep, every sample, or once the list is full) only if it is
   * still pending then.
   */
  private young: unknown[] = [];
  /** Deep mode: promises created since the last flush, the same way (see PROMISE_STRIDE). */
  private youngPromises: unknown[] = [];

  constructor(
    private readonly table: ResourceTable,
    private readonly graceMs: number,
    private readonly now: () => number,
    captureRate: number,
  ) {
    this.captureRate = captureRate;
  }

  readonly sink: ResourceSink = {
    created: (type, handle, creator) => {
      const context = reconcileContext.getStore();
      if (context === undefined && !this.sampleUnattributed(type)) return;
      if (type === "Timeout" || type === "Immediate") {
        if (context !== undefined) {
          if ((context as MarkedContext)[SETTLED_AT] === undefined) {
            this.holdOnUnit(context as MarkedContext, handle, creator);
            return;
          }
          stampSettlement(context);
        }
        this.addYoungTimer(handle, context, context === undefined || this.capturesFor(context) ? captureCreationStack(creator) : undefined);
        return;
      }
      // Sockets and servers can be connected/listened more than once; track the object once.
      if (this.seenHandles.has(handle)) return;
      this.seenHandles.add(handle);
      if (!this.ensureRoom(context)) return;
      if (context !== undefined) this.noteTracked(context);
      const stack = context === undefined || this.capturesFor(context) ? captureCreationStack(creator) : undefined;
      nextInterceptedId -= 1;
      this.table.add(new TrackedResource(nextInterceptedId, type, this.now(), context, handle, -1, stack));
    },
    released: (handle) => {
      if (typeof handle !== "object" || handle === null) return;
      const id = (handle as Marked)[TRACKED_ID];
      if (typeof id === "number") {
        this.table.delete(id);
        return;
      }
      // Still on the young list (at most YOUNG_TIMERS_MAX entries; newest first, where a
      // deadline cleared by its own unit of work sits): forget it there, so the list no
      // longer keeps the timer, its callback and its context alive, and the next thinning
      // need not read the timer again (by then it is out of the CPU's caches).
      const young = this.young;
      for (let i = young.length - YOUNG_STRIDE; i >= 0; i -= YOUNG_STRIDE) {
        if (young[i] === handle) {
          young[i] = undefined;
          young[i + 1] = undefined;
          young[i + 2] = undefined;
          return;
        }
      }
    },
    begin: (type, creator): PendingResource | undefined => {
      const context = reconcileContext.getStore();
      if (context === undefined && !this.sampleUnattributed(type)) return undefined;
      if (context !== undefined) this.noteTracked(context);
      const stack = context === undefined || this.capturesFor(context) ? captureCreationStack(creator) : undefined;
      return { type, context, stack };
    },
    complete: (pending, handle, fd) => {
      // Its settlement was already marked for timing by `begin`.
      if (!this.ensureRoom(pending.context)) return;
      nextInterceptedId -= 1;
      this.table.add(new TrackedResource(nextInterceptedId, pending.type, this.now(), pending.context, handle, fd, pending.stack));
    },
    descriptorClosed: (fd) => this.table.deleteFd(fd),
  };

  readonly promiseSink: PromiseSink = {
    promiseCreated: (promise, hook) => {
      const context = reconcileContext.getStore();
      if (context === undefined) return;
      this.noteTracked(context);
      const rate = this.captureRate;
      const capture =
        rate >= 1 ||
        (Math.random() < rate * PROMISE_RATE_FACTOR && this.withinCaptureBudget()) ||
        (this.hotControllers.size > 0 && this.hotControllers.has(context.controller));
      (promise as unknown as Marked)[PROMISE_STATE] = 0;
      const young = this.youngPromises;
      young.push(promise, context, capture ? captureCreationStack(hook) : undefined);
      if (young.length >= YOUNG_PROMISES_MAX * PROMISE_STRIDE) this.flushYoung();
    },
    promiseSettled: (promise) => {
      const marked = promise as unknown as Marked;
      const state = marked[PROMISE_STATE];
      if (state === undefined) return;
      if (typeof state === "number" && state > 0) this.table.delete(state);
      marked[PROMISE_STATE] = -1;
    },
  };

  /** Moves the young timers and promises still pending into the table (cleared and fired ones are simply forgotten). */
  flushYoung(): void {
    this.flushYoungPromises();
    this.moveYoungTimers();
  }

  private addYoungTimer(handle: object, context: ReconcileContext | undefined, stack: CreationStack | undefined): void {
    const young = this.young;
    young.push(handle, context, stack, context === undefined ? this.now() : 0);
    if (young.length >= YOUNG_TIMERS_MAX * YOUNG_STRIDE) this.moveYoungTimers();
  }

  /** Moves the young timers still pending into the table. */
  private moveYoungTimers(): void {
    const young = this.young;
    if (young.length === 0) return;
    // A rescue sweep inside ensureRoom flushes the list again: it finds the new, empty one.
    this.young = [];
    let now: number | undefined;
    for (let i = 0; i < young.length; i += YOUNG_STRIDE) {
      const handle = young[i] as Marked | undefined;
      if (handle === undefined || handle._destroyed === true) continue;
      const context = young[i + 1] as ReconcileContext | undefined;
      if (!this.ensureRoom(context)) continue;
      now ??= this.now();
      nextInterceptedId -= 1;
      handle[TRACKED_ID] = nextInterceptedId;
      const createdAt = context === undefined ? (young[i + 3] as number) : now;
      this.table.add(new TrackedResource(nextInterceptedId, timerType(handle), createdAt, context, handle, -1, young[i + 2] as CreationStack | undefined));
    }
  }

  /**
   * A timer created by a unit of work still running rides on the unit's context, not on
   * any list: nearly every one (a deadline, a retry, a sleep) is cleared or fires before
   * the unit settles, and then there is nothing to undo and nothing for the collector to
   * keep. The common case is one timer without a stack, kept as the handle itself; more
   * timers, or a stack, take a flat list (see UNIT_STRIDE). When the unit settles,
   * `timersSettled` hands the ones still pending to the young list. A unit that runs
   * long and keeps timers pending has them moved to the young list as it goes.
   */
  private holdOnUnit(context: MarkedContext, handle: object, creator: StackAnchor): void {
    const stack = this.capturesFor(context) ? captureCreationStack(creator) : undefined;
    const held = context[UNIT_TIMERS];
    if (held === undefined && stack === undefined) context[UNIT_TIMERS] = handle;
    else {
      const list = Array.isArray(held) ? held : held === undefined ? [] : [held, undefined];
      list.push(handle, stack);
      context[UNIT_TIMERS] = list.length >= UNIT_TIMERS_MAX * UNIT_STRIDE ? this.thinUnitTimers(context, list) : list;
    }
    if (context[ON_SETTLED] === undefined) context[ON_SETTLED] = this.timersSettled;
  }

  /** Drops a running unit's cleared and fired timers; if half the list is still pending, moves those to the young list. */
  private thinUnitTimers(context: MarkedContext, list: unknown[]): unknown[] {
    const pending: unknown[] = [];
    for (let i = 0; i < list.length; i += UNIT_STRIDE) {
      if ((list[i] as Marked)._destroyed !== true) pending.push(list[i], list[i + 1]);
    }
    if (pending.length < (UNIT_TIMERS_MAX / 2) * UNIT_STRIDE) return pending;
    context[ON_SETTLED] = this.trackedSettled;
    for (let i = 0; i < pending.length; i += UNIT_STRIDE) this.addYoungTimer(pending[i] as object, context, pending[i + 1] as CreationStack | undefined);
    return [];
  }

  /** The unit of work `context` settled: its timers still pending go to the young list; answers whether there were any. */
  private readonly timersSettled: SettlementHook = (context) => {
    const marks = context as MarkedContext;
    const held = marks[UNIT_TIMERS];
    marks[UNIT_TIMERS] = undefined;
    if (held === undefined) return false;
    if (!Array.isArray(held)) {
      if ((held as Marked)._destroyed === true) return false;
      this.addYoungTimer(held as object, context, undefined);
      return true;
    }
    let pending = false;
    for (let i = 0; i < held.length; i += UNIT_STRIDE) {
      if ((held[i] as Marked)._destroyed === true) continue;
      this.addYoungTimer(held[i] as object, context, held[i + 1] as CreationStack | undefined);
      pending = true;
    }
    return pending;
  };

  /** The unit of work `context` settled holding table entries: its time is always taken. */
  private readonly trackedSettled: SettlementHook = (context) => {
    this.timersSettled(context);
    return true;
  };

  /** Something was just attributed to `context`: its settlement must be timed (or, already settled untimed, is timed now). */
  private noteTracked(context: ReconcileContext): void {
    const marks = context as MarkedContext;
    if (marks[SETTLED_AT] === undefined) marks[ON_SETTLED] = this.trackedSettled;
    else stampSettlement(context);
  }

  /** Moves the young promises still pending into the table. */
  private flushYoungPromises(): void {
    const young = this.youngPromises;
    if (young.length === 0) return;
    this.youngPromises = [];
    const now = this.now();
    for (let i = 0; i < young.length; i += PROMISE_STRIDE) {
      const promise = young[i] as Marked;
      if (promise[PROMISE_STATE] !== 0) continue;
      const context = young[i + 1] as ReconcileContext;
      if (!this.ensureRoom(context)) {
        promise[PROMISE_STATE] = -1;
        continue;
      }
      nextPromiseId += 1;
      promise[PROMISE_STATE] = nextPromiseId;
      this.table.add(new TrackedResource(nextPromiseId, "PROMISE", now, context, promise, -1, young[i + 2] as CreationStack | undefined));
    }
  }

  /** Forgets the young timers and promises (the table is being cleared). */
  clearYoung(): void {
    this.young = [];
    this.clearYoungPromises();
  }

  /** Forgets the young promises (promise tracking was switched off). */
  clearYoungPromises(): void {
    for (let i = 0; i < this.youngPromises.length; i += PROMISE_STRIDE) (this.youngPromises[i] as Marked)[PROMISE_STATE] = -1;
    this.youngPromises = [];
  }

  /** Drops entries that are gone and stops holding the rest strongly; returns live counts by type. */
  sweep(now: number): Record<string, number> {
    this.flushYoung();
    const counts: Record<string, number> = {};
    for (const resource of this.table.values()) {
      if (livenessOf(resource, now, this.graceMs) === "gone") {
        this.table.delete(resource.id);
        continue;
      }
      if (resource.type === "PROMISE" && resource.weakenedAt === undefined) this.weakenPromise(resource);
      else resource.weaken();
      counts[resource.type] = (counts[resource.type] ?? 0) + 1;
    }
    return counts;
  }

  /** From now on the promise is held weakly: a full collection frees it unless the program holds it. */
  private weakenPromise(resource: TrackedResource): void {
    const promise = resource.handle();
    resource.weaken();
    resource.weakenedAt = performance.now();
    if (promise) this.collectedPromises.register(promise, resource.id);
  }

  /**
   * Whether this reconcile's resources get stacks. The sample is drawn from the
   * reconcile's id (the same answer for each of its resources, nothing to store, no
   * random number on the hot path); only a sampled reconcile spends the capture budget,
   * once, and keeps the outcome on its context.
   */
  private capturesFor(context: ReconcileContext): boolean {
    if (this.captureRate >= 1) return true;
    const hot = this.hotControllers.size > 0 && this.hotControllers.has(context.controller);
    if (!hot && !sampledReconcile(context.reconcileId, this.captureRate)) return false;
    const marked = context as MarkedContext;
    let decision = marked[CAPTURE_STACKS];
    if (typeof decision !== "boolean") {
      decision = hot || this.withinCaptureBudget();
      marked[CAPTURE_STACKS] = decision;
    }
    return decision;
  }

  /** Timers outside reconciles are too many to track all; rarer handles are always tracked (within the cap). */
  private sampleUnattributed(type: TrackedType): boolean {
    if (type !== "Timeout" && type !== "Immediate") return true;
    return this.captureRate >= 1 || (Math.random() < this.captureRate && this.withinCaptureBudget());
  }

  /** Spends one sampled capture of this second's budget; false once it is spent. */
  private withinCaptureBudget(): boolean {
    const now = performance.now();
    if (now - this.budgetWindowStart >= 1_000) {
      this.budgetWindowStart = now;
      this.budgetSpent = 0;
    }
    this.budgetSpent += 1;
    return this.budgetSpent <= MAX_SAMPLED_CAPTURES_PER_SECOND;
  }

  private ensureRoom(context: ReconcileContext | undefined): boolean {
    const attributed = context !== undefined;
    if (this.table.hasRoom(attributed)) return true;
    const now = this.now();
    if (now - this.lastRescueSweep >= RESCUE_SWEEP_EVERY_MS) {
      this.lastRescueSweep = now;
      this.sweep(now);
      if (this.table.hasRoom(attributed)) return true;
    }
    this.table.countDrop(context?.controller);
    return false;
  }
}

/** Node's Immediate carries its callback as `_onImmediate`, a Timeout as `_onTimeout`. */
function timerType(handle: object): TrackedType {
  return "_onImmediate" in handle ? "Immediate" : "Timeout";
}
