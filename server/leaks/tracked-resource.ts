import type { ReconcileContext } from "../runtime/context";
import type { CreationStack, StackFrame } from "./creation-stack";
import type { TrackedType } from "./resource-types";

/**
 * One resource the tracker follows. The handle is held strongly only while it is
 * young: the first sweep after creation (at most a second later) either drops the
 * entry (the resource is gone) or swaps the reference for a WeakRef. Most resources a
 * reconcile creates are gone by then, so they never cost a WeakRef (whose clearing is
 * the expensive part for the collector), and a resource that lives on is never kept
 * alive by the tracker. File descriptors are held by number.
 */
export class TrackedResource {
  /** Project frames, formatted on first need (only for resources that outlive their reconcile). */
  frames: StackFrame[] | undefined = undefined;
  /** Group key, computed with the frames. */
  groupKey: string | undefined = undefined;
  /** Type-specific state last seen by a sweep (e.g. the request a pooled socket serves) and since when. */
  observed: unknown = undefined;
  observedSince = 0;
  /** When the handle started being held weakly (performance.now()); set for promises only. */
  weakenedAt: number | undefined = undefined;
  private young: object | undefined;
  private weak: WeakRef<object> | undefined = undefined;

  constructor(
    readonly id: number,
    public type: TrackedType,
    readonly createdAt: number,
    /** The reconcile that created it; undefined when created outside any reconcile. */
    readonly context: ReconcileContext | undefined,
    handle: object | undefined,
    /** The descriptor for `FileDescriptor` resources, else -1. */
    readonly fd: number,
    readonly stack: CreationStack | undefined,
  ) {
    this.young = handle;
  }

  /** The handle, or undefined if it was collected (or there is none: descriptors). */
  handle(): object | undefined {
    return this.young ?? this.weak?.deref();
  }

  /** From now on, refer to the handle weakly. */
  weaken(): void {
    if (this.young === undefined) return;
    this.weak = new WeakRef(this.young);
    this.young = undefined;
  }
}
