import workerThreads from "node:worker_threads";
import type { StackAnchor } from "../creation-stack";
import type { PatchSet } from "./patch-set";
import { markReleased, releaseOn } from "./released";
import type { ResourceSink } from "./resource-sink";

/**
 * Replaces `MessageChannel` and `BroadcastChannel` (global and `node:worker_threads`)
 * with subclasses that report their creation. A channel is released when its first
 * port emits "close" (closing either port closes both); a broadcast channel when its
 * `close` is called.
 */
export function interceptMessaging(patches: PatchSet, sink: ResourceSink): void {
  const OriginalChannel = workerThreads.MessageChannel;
  class MessageChannel extends OriginalChannel {
    /** Channels made before the tracker was installed stay `instanceof MessageChannel`. */
    static [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof OriginalChannel;
    }
    constructor() {
      super();
      if (patches.active) {
        releaseOn(this.port1, this.port1, "close");
        sink.created("MessagePort", this.port1, MessageChannel as unknown as StackAnchor);
      }
    }
  }
  Object.defineProperty(MessageChannel, "name", { value: "MessageChannel" });

  const OriginalBroadcast = workerThreads.BroadcastChannel;
  class BroadcastChannel extends OriginalBroadcast {
    static [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof OriginalBroadcast;
    }
    constructor(name: string) {
      super(name);
      if (patches.active) sink.created("BroadcastChannel", this, BroadcastChannel as unknown as StackAnchor);
    }
    override close(): void {
      markReleased(this);
      super.close();
    }
  }
  Object.defineProperty(BroadcastChannel, "name", { value: "BroadcastChannel" });

  const globals = globalThis as unknown as Record<"MessageChannel" | "BroadcastChannel", unknown>;
  const sameChannel = globals.MessageChannel === OriginalChannel;
  const sameBroadcast = globals.BroadcastChannel === OriginalBroadcast;
  patches.replace(workerThreads, "MessageChannel", MessageChannel);
  patches.replace(workerThreads, "BroadcastChannel", BroadcastChannel);
  if (sameChannel) patches.replace(globals, "MessageChannel", MessageChannel);
  if (sameBroadcast) patches.replace(globals, "BroadcastChannel", BroadcastChannel);
}
