import { fstatSync } from "node:fs";
import { type FetchCall, fetchLiveness, isUndiciSocket } from "./interception/fetch";
import { isReleased, listenerLiveness } from "./interception/released";
import type { TrackedResource } from "./tracked-resource";

/**
 * Whether a tracked resource still exists and may be blamed.
 * - `gone`: closed, cleared, fired, exited, settled, or garbage-collected.
 * - `exempt`: alive but a known false positive: unref'd (it does not keep the process
 *   alive and was explicitly let go), or a keep-alive socket of an http.Agent that is
 *   parked in its free pool or serving a request younger than the grace period, or any
 *   socket of an undici pool (fetch's), whose leaks are the fetches holding them.
 * - `live`: alive and blameable.
 *
 * Node does not expose "is this timer pending" publicly; the checks read the fields
 * Node itself uses (`_destroyed`, `_handle`), which have been stable since Node 12.
 */
export type Liveness = "gone" | "exempt" | "live";

/** Set on a server (by the listen interceptor) once it emitted "close". */
export const SERVER_CLOSED = Symbol("loopscope.serverClosed");

/** Servers in the middle of `listen` (address lookup) have no handle yet; give them this long. */
const LISTEN_SETTLE_MS = 1_000;

type Fields = Record<string, unknown>;

function hasRef(handle: unknown): boolean | undefined {
  if (handle === null || typeof handle !== "object") return undefined;
  const fn = (handle as Fields).hasRef;
  return typeof fn === "function" ? Boolean(fn.call(handle)) : undefined;
}

export function livenessOf(resource: TrackedResource, now: number, graceMs: number, verifyDescriptors = false): Liveness {
  if (resource.type === "FileDescriptor") return verifyDescriptors ? descriptorLiveness(resource.fd) : "live";
  const target = resource.handle() as Fields | undefined;
  if (target === undefined) return "gone";
  switch (resource.type) {
    case "Timeout":
    case "Immediate":
      if (target._destroyed === true) return "gone";
      return hasRef(target) === false ? "exempt" : "live";
    case "TCPSocketWrap":
    case "PipeWrap":
    case "TLSWrap":
      if (target.destroyed === true) return "gone";
      if (isAgentSocket(target)) return agentSocketLiveness(resource, target, now, graceMs);
      // A pool's connection is blamed through the fetch that holds it (FetchResponse), never as a socket.
      if (isUndiciSocket(target)) return "exempt";
      return hasRef(target._handle) === false ? "exempt" : "live";
    case "TCPServerWrap":
    case "PipeServerWrap":
      if ((target as Record<symbol, unknown>)[SERVER_CLOSED] === true) return "gone";
      if (target.listening !== true && target._handle == null) {
        // Not closed: still looking up its address, or its listen failed (holds nothing).
        return now - resource.createdAt < LISTEN_SETTLE_MS ? "live" : "gone";
      }
      return target._unref === true || hasRef(target._handle) === false ? "exempt" : "live";
    case "ProcessWrap":
      if (target._handle == null) return "gone";
      return hasRef(target._handle) === false ? "exempt" : "live";
    case "FileHandle":
      return target.fd === -1 || target.fd === undefined ? "gone" : "live";
    case "PROMISE":
      // Settled promises are removed on their promiseResolve hook; reaching here means pending.
      return "live";
    case "Listener":
      return listenerLiveness(target);
    case "Stream":
      return target.destroyed === true || target.closed === true || isReleased(target) ? "gone" : "live";
    case "FetchResponse":
      return isReleased(target) ? "gone" : fetchLiveness(target as unknown as FetchCall);
    case "TimerPromise":
    case "IntervalIterator":
    case "UDPSocket":
    case "FSWatcher":
    case "StatWatcher":
    case "MessagePort":
    case "BroadcastChannel":
    case "Worker":
      return isReleased(target) ? "gone" : "live";
  }
}

/** A socket owned by an http.Agent carries the agent's `agentRemove` listener. */
function isAgentSocket(socket: Fields): boolean {
  const listenerCount = socket.listenerCount;
  return typeof listenerCount === "function" && Number(listenerCount.call(socket, "agentRemove")) > 0;
}

/**
 * An agent's socket is shared by whichever requests come: parked in the free pool
 * (`_httpMessage` null) it is exempt; serving a request it is only blameable once the
 * same request has held it for a grace period (a hung request), since the reconcile
 * that created the socket is usually not the one using it.
 */
function agentSocketLiveness(resource: TrackedResource, socket: Fields, now: number, graceMs: number): Liveness {
  const request = socket._httpMessage;
  if (request == null) {
    resource.observed = undefined;
    return "exempt";
  }
  if (resource.observed !== request) {
    resource.observed = request;
    resource.observedSince = now;
  }
  return now - resource.observedSince >= graceMs ? "live" : "exempt";
}

function descriptorLiveness(fd: number): Liveness {
  try {
    fstatSync(fd);
    return "live";
  } catch {
    return "gone";
  }
}
