import fs from "node:fs";
import type { PatchSet } from "./patch-set";
import type { ResourceSink } from "./resource-sink";

type Callback = (error: unknown, value?: unknown) => void;

/**
 * Wraps `fs.promises.open` (FileHandle), `fs.open`/`fs.openSync` (raw descriptors, which
 * fs streams use too) and `fs.close`/`fs.closeSync` (to forget closed descriptors).
 */
export function interceptFiles(patches: PatchSet, sink: ResourceSink): void {
  const promises = fs.promises;
  const originalOpenHandle = promises.open;
  const openHandle = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const pending = patches.active ? sink.begin("FileHandle", openHandle) : undefined;
    const opened: Promise<unknown> = Reflect.apply(originalOpenHandle, this, args);
    if (!pending) return opened;
    return opened.then((handle) => {
      if (typeof handle === "object" && handle !== null) sink.complete(pending, handle, -1);
      return handle;
    });
  };
  patches.replace(promises, "open", openHandle as typeof originalOpenHandle);

  const originalOpen = fs.open;
  const open = function (this: unknown, ...args: unknown[]): void {
    const last = args.length - 1;
    const callback = args[last];
    const pending = patches.active && typeof callback === "function" ? sink.begin("FileDescriptor", open) : undefined;
    if (pending) {
      args[last] = (error: unknown, fd?: unknown) => {
        if (error == null && typeof fd === "number") sink.complete(pending, undefined, fd);
        (callback as Callback)(error, fd);
      };
    }
    Reflect.apply(originalOpen, this, args);
  };
  patches.replace(fs, "open", open as typeof originalOpen);

  const originalOpenSync = fs.openSync;
  const openSync = function (this: unknown, ...args: unknown[]): number {
    const pending = patches.active ? sink.begin("FileDescriptor", openSync) : undefined;
    const fd: number = Reflect.apply(originalOpenSync, this, args);
    if (pending) sink.complete(pending, undefined, fd);
    return fd;
  };
  patches.replace(fs, "openSync", openSync as typeof originalOpenSync);

  const originalClose = fs.close;
  const close = function (this: unknown, ...args: unknown[]): void {
    if (patches.active && typeof args[0] === "number") sink.descriptorClosed(args[0]);
    Reflect.apply(originalClose, this, args);
  };
  patches.replace(fs, "close", close as typeof originalClose);

  const originalCloseSync = fs.closeSync;
  const closeSync = function (this: unknown, ...args: unknown[]): void {
    if (patches.active && typeof args[0] === "number") sink.descriptorClosed(args[0]);
    Reflect.apply(originalCloseSync, this, args);
  };
  patches.replace(fs, "closeSync", closeSync as typeof originalCloseSync);
}
