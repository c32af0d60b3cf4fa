import { type ReconcileContext, reconcileContext } from "../runtime/context";
import { captureCreationStack } from "./creation-stack";
import type { PendingResource, ResourceSink } from "./interception/resource-sink";
import { livenessOf } from "./liveness";
import type { PromiseSink } from "./promise-tracking";
import type { ResourceTable } from "./resource-table";
import type { TrackedType } from "./resource-types";
import { TrackedResource } from "./tracked-resource";

/** Ids of intercepted resources: negative (promises use their positive async id), unique per process. */
let nextInterceptedId = 0;
/** On a tracked timer: its table id, so clearing it forgets it at once. */
const TRACKED_ID = Symbol("loopscope.trackedId");
/** Per-reconcile stack-capture decision, kept on the context object (cheaper than a WeakMap). */
const CAPTURE_STACKS = Symbol("loopscope.captureStacks");
/** Promises outnumber handles 10–100 to 1, so their stacks are sampled this much more sparsely. */
const PROMISE_RATE_FACTOR = 0.1;
/** At the cap, a sweep for dead entries is tried at most this often before dropping. */
const RESCUE_SWEEP_EVERY_MS = 100;

type Marked = Record<symbol, unknown>;

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
  private lastRescueSweep = Number.NEGATIVE_INFINITY;

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
      const timer = type === "Timeout" || type === "Immediate";
      if (!timer) {
        // Sockets and servers can be connected/listened more than once; track the object once.
        if (this.seenHandles.has(handle)) return;
        this.seenHandles.add(handle);
      }
      if (!this.ensureRoom(context)) return;
      const stack = context === undefined || this.capturesFor(context) ? captureCreationStack(creator) : undefined;
      nextInterceptedId -= 1;
      if (timer) (handle as Marked)[TRACKED_ID] = nextInterceptedId;
      this.table.add(new TrackedResource(nextInterceptedId, type, this.now(), context, handle, -1, stack));
    },
    released: (handle) => {
      if (typeof handle !== "object" || handle === null) return;
      const id = (handle as Marked)[TRACKED_ID];
      if (typeof id === "number") this.table.delete(id);
    },
    begin: (type, creator): PendingResource | undefined => {
      const context = reconcileContext.getStore();
      if (context === undefined && !this.sampleUnattributed(type)) return undefined;
      const stack = context === undefined || this.capturesFor(context) ? captureCreationStack(creator) : undefined;
      return { type, context, stack };
    },
    complete: (pending, handle, fd) => {
      if (!this.ensureRoom(pending.context)) return;
      nextInterceptedId -= 1;
      this.table.add(new TrackedResource(nextInterceptedId, pending.type, this.now(), pending.context, handle, fd, pending.stack));
    },
    descriptorClosed: (fd) => this.table.deleteFd(fd),
  };

  readonly promiseSink: PromiseSink = {
    promiseCreated: (asyncId, promise, hook) => {
      const context = reconcileContext.getStore();
      if (context === undefined || !this.ensureRoom(context)) return;
      const capture = this.captureRate >= 1 || this.hotControllers.has(context.controller) || Math.random() < this.captureRate * PROMISE_RATE_FACTOR;
      const stack = capture ? captureCreationStack(hook) : undefined;
      this.table.add(new TrackedResource(asyncId, "PROMISE", this.now(), context, promise, -1, stack));
    },
    promiseSettled: (asyncId) => this.table.delete(asyncId),
  };

  /** Drops entries that are gone and stops holding the rest strongly; returns live counts by type. */
  sweep(now: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const resource of this.table.values()) {
      if (livenessOf(resource, now, this.graceMs) === "gone") {
        this.table.delete(resource.id);
        continue;
      }
      resource.weaken();
      counts[resource.type] = (counts[resource.type] ?? 0) + 1;
    }
    return counts;
  }

  private capturesFor(context: ReconcileContext): boolean {
    if (this.captureRate >= 1) return true;
    const marked = context as ReconcileContext & Marked;
    let decision = marked[CAPTURE_STACKS];
    if (typeof decision !== "boolean") {
      decision = this.hotControllers.has(context.controller) || (this.captureRate > 0 && Math.random() < this.captureRate);
      marked[CAPTURE_STACKS] = decision;
    }
    return decision as boolean;
  }

  /** Timers outside reconciles are too many to track all; rarer handles are always tracked (within the cap). */
  private sampleUnattributed(type: TrackedType): boolean {
    if (type !== "Timeout" && type !== "Immediate") return true;
    return this.captureRate >= 1 || Math.random() < this.captureRate;
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
