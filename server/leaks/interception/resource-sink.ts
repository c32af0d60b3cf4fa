import type { ReconcileContext } from "../../runtime/context";
import type { CreationStack, StackAnchor } from "../creation-stack";
import type { TrackedType } from "../resource-types";

/** Attribution captured when an asynchronous open starts, completed when it yields a resource. */
export interface PendingResource {
  readonly type: TrackedType;
  readonly context: ReconcileContext | undefined;
  readonly stack: CreationStack | undefined;
}

/**
 * Where interceptors report what they saw. The sink decides whether to track (inside a
 * reconcile, or sampled outside one), captures the stack, and stays bounded.
 */
export interface ResourceSink {
  /** `handle` was just created by `creator` (the wrapper, cut from the stack). */
  created(type: TrackedType, handle: object, creator: StackAnchor): void;
  /** An asynchronous open started in `creator`; undefined means "do not track". */
  begin(type: TrackedType, creator: StackAnchor): PendingResource | undefined;
  /** The open started by `begin` produced `handle` (or descriptor `fd`, with no handle). */
  complete(pending: PendingResource, handle: object | undefined, fd: number): void;
  /** A timer was cleared (clearTimeout/clearInterval/clearImmediate); `handle` may be anything. */
  released(handle: unknown): void;
  /** Descriptor `fd` was closed through fs.close/closeSync. */
  descriptorClosed(fd: number): void;
}
