import net from "node:net";
import { SERVER_CLOSED } from "../liveness";
import type { TrackedType } from "../resource-types";
import type { PatchSet } from "./patch-set";
import type { ResourceSink } from "./resource-sink";

type Fields = Record<string, unknown>;

/**
 * Wraps `net.Socket.prototype.connect` (every client socket: net.connect,
 * createConnection, http/https agents, fetch, tls) and `net.Server.prototype.listen`
 * (net, http, https servers).
 */
export function interceptNet(patches: PatchSet, sink: ResourceSink): void {
  const originalConnect = net.Socket.prototype.connect;
  const connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
    const result: net.Socket = Reflect.apply(originalConnect, this, args);
    if (patches.active) sink.created(socketType(this), this, connect);
    return result;
  };
  patches.replace(net.Socket.prototype, "connect", connect as typeof originalConnect);

  const originalListen = net.Server.prototype.listen;
  const listen = function (this: net.Server, ...args: unknown[]): net.Server {
    const result: net.Server = Reflect.apply(originalListen, this, args);
    if (patches.active) {
      watchClose(this);
      sink.created(listensOnPipe(args) ? "PipeServerWrap" : "TCPServerWrap", this, listen);
    }
    return result;
  };
  patches.replace(net.Server.prototype, "listen", listen as typeof originalListen);
}

/** The handle is created synchronously by connect; its class says TCP, pipe, or TLS. */
function socketType(socket: net.Socket): TrackedType {
  const handle = (socket as unknown as Fields)._handle;
  const name = handle && typeof handle === "object" ? handle.constructor?.name : undefined;
  if (name === "Pipe") return "PipeWrap";
  if (name === "TLSWrap") return "TLSWrap";
  return "TCPSocketWrap";
}

/** Node's own rule (normalizeArgs): a non-numeric string, or options with a path, is a pipe. */
function listensOnPipe(args: unknown[]): boolean {
  const first = args[0];
  if (typeof first === "string") return !(Number(first) >= 0);
  if (first && typeof first === "object") return typeof (first as Fields).path === "string";
  return false;
}

const CLOSE_WATCHED = Symbol("loopscope.closeWatched");

/**
 * A server that is neither listening nor has a handle may be closed or still looking
 * up its address; its "close" event tells them apart. A new listen reopens it.
 */
function watchClose(server: net.Server): void {
  const fields = server as unknown as Record<symbol, unknown>;
  fields[SERVER_CLOSED] = false;
  if (fields[CLOSE_WATCHED] === true) return;
  fields[CLOSE_WATCHED] = true;
  server.on("close", () => {
    fields[SERVER_CLOSED] = true;
  });
}
