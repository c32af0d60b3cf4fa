import zlib from "node:zlib";
import type { PatchSet } from "./patch-set";
import type { ResourceSink } from "./resource-sink";

/** The zlib factories; each returns a native-backed stream that holds its buffers until ended or destroyed. */
const FACTORIES = [
  "createGzip",
  "createGunzip",
  "createDeflate",
  "createInflate",
  "createDeflateRaw",
  "createInflateRaw",
  "createUnzip",
  "createBrotliCompress",
  "createBrotliDecompress",
] as const;

/** Wraps the zlib stream factories; a stream is gone once destroyed or closed (Node's own flags, read by the sweep). */
export function interceptStreams(patches: PatchSet, sink: ResourceSink): void {
  for (const name of FACTORIES) {
    const original = zlib[name] as (...args: unknown[]) => object;
    if (typeof original !== "function") continue;
    const wrapper = function (this: unknown, ...args: unknown[]): object {
      const stream = Reflect.apply(original, this, args);
      if (patches.active) sink.created("Stream", stream, wrapper);
      return stream;
    };
    patches.replace(zlib, name, wrapper as (typeof zlib)[typeof name]);
  }
}
