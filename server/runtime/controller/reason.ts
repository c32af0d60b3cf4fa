import type { ObjectEventType } from "../source";

/**
 * Why a reconcile was requested, carried with every key as kube-rs does
 * (`ReconcileReason`); controller-runtime passes only the key.
 */
export const RECONCILE_REASONS = [
  "object-added",
  "object-updated",
  "object-deleted",
  "resync",
  "requeue",
  "requeue-after",
  "error-backoff",
] as const;

export type ReconcileReason = (typeof RECONCILE_REASONS)[number];

/** The reason an object event gives its reconcile. */
export function reasonForEvent(type: ObjectEventType): ReconcileReason {
  switch (type) {
    case "added":
      return "object-added";
    case "updated":
      return "object-updated";
    case "deleted":
      return "object-deleted";
    case "resync":
      return "resync";
  }
}
