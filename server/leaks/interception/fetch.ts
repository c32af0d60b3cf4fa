import type { PatchSet } from "./patch-set";
import { markReleased } from "./released";
import type { ResourceSink } from "./resource-sink";

/** Marks the object tracked for one fetch() call (and the response it produced). */
export const FETCH_CALL = Symbol("loopscope.fetchCall");

/** What the tracker follows for one fetch() call: pending, then the response until its body is read. */
export interface FetchCall {
  readonly [FETCH_CALL]: true;
  /** The response, once it came (held weakly: an unreachable response is not a leak). */
  response: WeakRef<Response> | undefined;
}

/**
 * Wraps `globalThis.fetch`. A fetch holds one of the pool's keep-alive connections from
 * the call until its response body has been read or cancelled (or the response is
 * garbage): that, not the pooled socket, is what a unit of work can leak. Each call is
 * tracked as a `FetchResponse` of the reconcile that made it; a request that never
 * answers, or a response whose body nobody reads, stays live. (The pool's sockets are
 * exempt as sockets, see liveness.ts: they belong to the pool, whoever opened them.)
 */
export function interceptFetch(patches: PatchSet, sink: ResourceSink): void {
  const original = globalThis.fetch;
  if (typeof original !== "function") return;
  const fetch = function (this: unknown, ...args: Parameters<typeof globalThis.fetch>): Promise<Response> {
    const promise: Promise<Response> = Reflect.apply(original, this, args);
    if (!patches.active) return promise;
    const call: FetchCall = { [FETCH_CALL]: true, response: undefined };
    sink.created("FetchResponse", call, fetch);
    // The response keeps `call` reachable for as long as it lives (the tracker holds it weakly).
    promise.then(
      (response) => {
        call.response = new WeakRef(response);
        (response as unknown as Record<symbol, unknown>)[FETCH_CALL] = call;
      },
      () => markReleased(call),
    );
    return promise;
  };
  patches.replace(globalThis, "fetch", fetch as typeof original);
}

/** A fetch is live while it waits for its response, then while that response's body is unread. */
export function fetchLiveness(call: FetchCall): "gone" | "live" {
  if (call.response === undefined) return "live";
  const response = call.response.deref();
  if (response === undefined || response.body === null || response.bodyUsed) return "gone";
  return "live";
}

/**
 * A socket of an undici pool (fetch's, or the undici package's): undici keeps its client
 * on the socket under a symbol it names "client", beside its HTTP parser.
 */
export function isUndiciSocket(socket: object): boolean {
  let client = false;
  let parser = false;
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description === "client") client = true;
    else if (symbol.description === "parser") parser = true;
  }
  return client && parser;
}
