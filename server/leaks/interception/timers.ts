import timers from "node:timers";
import type { PatchSet } from "./patch-set";
import type { ResourceSink } from "./resource-sink";

type TimerFunction = (...args: never[]) => unknown;

/**
 * Wraps setTimeout, setInterval and setImmediate (global and `node:timers`), and the
 * clear* functions so a cleared timer is forgotten at once (a fired one is noticed by
 * the next sweep: Node marks it destroyed).
 */
export function interceptTimers(patches: PatchSet, sink: ResourceSink): void {
  const wrap = (original: TimerFunction, type: "Timeout" | "Immediate"): TimerFunction => {
    // Exact arguments in the common cases: no rest array on every timer.
    const wrapper = function (this: unknown, callback: unknown, ms?: unknown): unknown {
      // biome-ignore lint/complexity/noArguments: a rest array would be allocated on every call of a hot path
      const n = arguments.length;
      // biome-ignore lint/complexity/noArguments: a rest array would be allocated on every call of a hot path
      const handle: unknown = n === 2 ? (original as (c: unknown, m: unknown) => unknown)(callback, ms) : n === 1 ? (original as (c: unknown) => unknown)(callback) : Reflect.apply(original, this, arguments);
      if (patches.active && typeof handle === "object" && handle !== null) sink.created(type, handle, wrapper);
      return handle;
    };
    return wrapper;
  };
  const wrapClear = (original: TimerFunction): TimerFunction =>
    function (this: unknown, handle: unknown): unknown {
      if (patches.active) sink.released(handle);
      // biome-ignore lint/complexity/noArguments: a rest array would be allocated on every call of a hot path
      return arguments.length === 1 ? (original as (h: unknown) => unknown)(handle) : Reflect.apply(original, this, arguments);
    };
  const setTimeoutWrapper = wrap(globalThis.setTimeout, "Timeout") as typeof globalThis.setTimeout;
  const setIntervalWrapper = wrap(globalThis.setInterval, "Timeout") as typeof globalThis.setInterval;
  const setImmediateWrapper = wrap(globalThis.setImmediate, "Immediate") as typeof globalThis.setImmediate;
  // The module's functions are the globals unless someone replaced one; wrap each once.
  const sameTimeout = timers.setTimeout === globalThis.setTimeout;
  const sameInterval = timers.setInterval === globalThis.setInterval;
  const sameImmediate = timers.setImmediate === globalThis.setImmediate;
  const clears = (["clearTimeout", "clearInterval", "clearImmediate"] as const).map((name) => ({
    name,
    same: timers[name] === globalThis[name],
    wrapper: wrapClear(globalThis[name]) as typeof globalThis.clearTimeout,
  }));
  patches.replace(globalThis, "setTimeout", setTimeoutWrapper);
  patches.replace(globalThis, "setInterval", setIntervalWrapper);
  patches.replace(globalThis, "setImmediate", setImmediateWrapper);
  if (sameTimeout) patches.replace(timers, "setTimeout", setTimeoutWrapper);
  if (sameInterval) patches.replace(timers, "setInterval", setIntervalWrapper);
  if (sameImmediate) patches.replace(timers, "setImmediate", setImmediateWrapper);
  for (const { name, same, wrapper } of clears) {
    patches.replace(globalThis, name, wrapper);
    if (same) patches.replace(timers, name, wrapper);
  }
}
