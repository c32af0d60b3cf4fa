import { runReconcile } from "../../../server/leaks/reconcile-settlement";
import { newReconcileContext } from "../../../server/runtime/context";

/** One unit of work: which controller (or service, queue, job type) and which object or request. */
export interface WorkUnit {
  controller: string;
  key: string;
}

let nextId = 0;

/**
 * Runs `fn` as one unit of work. Resources it creates (directly or in anything it awaits
 * or schedules) are attributed to `controller` and `key`, and held against it only once
 * `fn` has settled and the grace period has passed. The result (or error) is `fn`'s.
 */
export function trackWork<T>(unit: WorkUnit, fn: () => T | Promise<T>): Promise<T> {
  if (typeof unit?.controller !== "string" || unit.controller === "" || typeof unit.key !== "string") {
    return Promise.reject(new TypeError("trackWork needs { controller: non-empty string, key: string }"));
  }
  nextId += 1;
  return runReconcile(newReconcileContext(unit.controller, unit.key, nextId), fn);
}
