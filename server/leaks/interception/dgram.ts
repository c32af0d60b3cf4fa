import dgram from "node:dgram";
import type { PatchSet } from "./patch-set";
import { releaseOn } from "./released";
import type { ResourceSink } from "./resource-sink";

/** Wraps `dgram.createSocket`: a UDP socket is released when it emits "close". */
export function interceptDgram(patches: PatchSet, sink: ResourceSink): void {
  const original = dgram.createSocket;
  const createSocket = function (this: unknown, ...args: unknown[]): dgram.Socket {
    const socket: dgram.Socket = Reflect.apply(original, this, args);
    if (patches.active) {
      releaseOn(socket, socket, "close");
      sink.created("UDPSocket", socket, createSocket);
    }
    return socket;
  };
  patches.replace(dgram, "createSocket", createSocket as typeof original);
}
