import { ChildProcess } from "node:child_process";
import type { PatchSet } from "./patch-set";
import type { ResourceSink } from "./resource-sink";

/** `ChildProcess.prototype.spawn` exists at run time but is not in Node's type definitions. */
type SpawningPrototype = { spawn: (...args: unknown[]) => unknown };

/**
 * Wraps `ChildProcess.prototype.spawn`, which spawn, exec, execFile and fork all go
 * through (they call the module-internal spawn, so wrapping the export would miss them).
 */
export function interceptChildProcesses(patches: PatchSet, sink: ResourceSink): void {
  const prototype = ChildProcess.prototype as unknown as SpawningPrototype;
  const originalSpawn = prototype.spawn;
  const spawn = function (this: ChildProcess, ...args: unknown[]): unknown {
    const result: unknown = Reflect.apply(originalSpawn, this, args);
    if (patches.active) sink.created("ProcessWrap", this, spawn);
    return result;
  };
  patches.replace(prototype, "spawn", spawn);
}
