import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | null | undefined;

/**
 * A full garbage collection, if this process can trigger one. Deep mode uses it before
 * judging pending promises: an unreachable promise that never settles is garbage, not
 * a leak, but it looks alive until the collector runs (Jest's --detectOpenHandles
 * collects first for the same reason). Uses `global.gc` when exposed, else exposes it
 * once through V8 flags. Returns false if neither works.
 */
export function collectGarbage(): boolean {
  if (collect === undefined) collect = findCollector();
  if (collect === null) return false;
  collect();
  return true;
}

function findCollector(): (() => void) | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return () => exposed();
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    if (typeof gc === "function") return () => gc();
  } catch {
    // fall through: not available in this runtime
  }
  return null;
}
