import { syncBuiltinESMExports } from "node:module";
import { interceptChildProcesses } from "./child-process";
import { interceptDgram } from "./dgram";
import { interceptFetch } from "./fetch";
import { interceptFiles } from "./fs";
import { interceptFileWatchers } from "./fs-watch";
import { interceptListeners } from "./listeners";
import { interceptMessaging } from "./messaging";
import { interceptNet } from "./net";
import { PatchSet } from "./patch-set";
import type { ResourceSink } from "./resource-sink";
import { interceptStreams } from "./streams";
import { interceptTimerPromises } from "./timer-promises";
import { interceptTimers } from "./timers";
import { interceptWorkers } from "./workers";

/**
 * Installs every interceptor (no async_hooks: plain wrappers around the functions that
 * create the common leak sources) and returns the way back. ESM named imports of the
 * builtins (`import { setTimeout } from "node:timers"`) are re-synced both ways.
 */
export function installInterception(sink: ResourceSink): () => void {
  const patches = new PatchSet();
  interceptTimers(patches, sink);
  interceptNet(patches, sink);
  interceptFetch(patches, sink);
  interceptChildProcesses(patches, sink);
  interceptFiles(patches, sink);
  interceptTimerPromises(patches, sink);
  interceptDgram(patches, sink);
  interceptFileWatchers(patches, sink);
  interceptMessaging(patches, sink);
  interceptWorkers(patches, sink);
  interceptStreams(patches, sink);
  interceptListeners(patches, sink);
  syncBuiltinESMExports();
  return () => {
    patches.restoreAll();
    syncBuiltinESMExports();
  };
}
