import { syncBuiltinESMExports } from "node:module";
import { interceptChildProcesses } from "./child-process";
import { interceptFiles } from "./fs";
import { interceptNet } from "./net";
import { PatchSet } from "./patch-set";
import type { ResourceSink } from "./resource-sink";
import { interceptTimers } from "./timers";

/**
 * Installs every interceptor (no async_hooks: plain wrappers around the functions that
 * create the common leak sources) and returns the way back. ESM named imports of the
 * builtins (`import { setTimeout } from "node:timers"`) are re-synced both ways.
 */
export function installInterception(sink: ResourceSink): () => void {
  const patches = new PatchSet();
  interceptTimers(patches, sink);
  interceptNet(patches, sink);
  interceptChildProcesses(patches, sink);
  interceptFiles(patches, sink);
  syncBuiltinESMExports();
  return () => {
    patches.restoreAll();
    syncBuiltinESMExports();
  };
}
