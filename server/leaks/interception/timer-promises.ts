import timersPromises from "node:timers/promises";
import type { PatchSet } from "./patch-set";
import { markReleased } from "./released";
import type { ResourceSink } from "./resource-sink";

type AnyFunction = (...args: never[]) => unknown;
type Step = (...args: unknown[]) => Promise<IteratorResult<unknown>>;

/**
 * Wraps `node:timers/promises`: a setTimeout/setImmediate promise is released when it
 * settles (fired or aborted); a setInterval async iterator when it is finished (its
 * loop returned or broke out, threw, or its signal aborted), which is when Node clears
 * the interval. One that is never finished keeps its interval forever.
 */
export function interceptTimerPromises(patches: PatchSet, sink: ResourceSink): void {
  for (const name of ["setTimeout", "setImmediate"] as const) {
    const original = timersPromises[name] as AnyFunction;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const promise: unknown = Reflect.apply(original, this, args);
      if (patches.active && promise instanceof Promise) {
        sink.created("TimerPromise", promise, wrapper);
        const release = () => markReleased(promise);
        promise.then(release, release);
      }
      return promise;
    };
    patches.replace(timersPromises, name, wrapper as (typeof timersPromises)[typeof name]);
  }

  const originalInterval = timersPromises.setInterval as AnyFunction;
  const setInterval = function (this: unknown, ...args: unknown[]): unknown {
    const iterator: unknown = Reflect.apply(originalInterval, this, args);
    if (patches.active && typeof iterator === "object" && iterator !== null) {
      watchFinish(iterator as Record<string, unknown>);
      sink.created("IntervalIterator", iterator, setInterval);
    }
    return iterator;
  };
  patches.replace(timersPromises, "setInterval", setInterval as typeof timersPromises.setInterval);
}

/** Shadows the iterator's next/return/throw with ones that mark it released once a step reports done. */
function watchFinish(iterator: Record<string, unknown>): void {
  for (const method of ["next", "return", "throw"] as const) {
    const step = iterator[method];
    if (typeof step !== "function") continue;
    iterator[method] = function (this: unknown, ...args: unknown[]): Promise<IteratorResult<unknown>> {
      const result = Reflect.apply(step as Step, this, args);
      result.then(
        (value) => {
          if (value.done) markReleased(iterator);
        },
        () => markReleased(iterator),
      );
      return result;
    };
  }
}
