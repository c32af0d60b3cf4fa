import fs from "node:fs";
import type { PatchSet } from "./patch-set";
import { releaseOn } from "./released";
import type { ResourceSink } from "./resource-sink";

/**
 * Wraps `fs.watch` (an FSWatcher, released on "close") and `fs.watchFile` (a
 * StatWatcher, shared per file, released on "stop", which Node emits when unwatchFile
 * removes its last listener).
 */
export function interceptFileWatchers(patches: PatchSet, sink: ResourceSink): void {
  const originalWatch = fs.watch;
  const watch = function (this: unknown, ...args: unknown[]): fs.FSWatcher {
    const watcher: fs.FSWatcher = Reflect.apply(originalWatch, this, args);
    if (patches.active) {
      releaseOn(watcher, watcher, "close");
      sink.created("FSWatcher", watcher, watch);
    }
    return watcher;
  };
  patches.replace(fs, "watch", watch as typeof originalWatch);

  const originalWatchFile = fs.watchFile;
  const watchFile = function (this: unknown, ...args: unknown[]): fs.StatWatcher {
    const watcher: fs.StatWatcher = Reflect.apply(originalWatchFile, this, args);
    if (patches.active && typeof watcher === "object" && watcher !== null) {
      releaseOn(watcher, watcher, "stop");
      sink.created("StatWatcher", watcher, watchFile);
    }
    return watcher;
  };
  patches.replace(fs, "watchFile", watchFile as typeof originalWatchFile);
}
