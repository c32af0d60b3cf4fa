import { EventEmitter, getEventListeners } from "node:events";
import { Stream } from "node:stream";
import { reconcileContext } from "../../runtime/context";
import type { PatchSet } from "./patch-set";
import { noteListenerSite } from "./released";
import type { ResourceSink } from "./resource-sink";

type AddListener = (this: object, event: string | symbol, listener: unknown, ...rest: unknown[]) => unknown;

/**
 * Wraps `EventEmitter.prototype.on`/`addListener`/`prependListener` (once and
 * prependOnce go through them) and `AbortSignal.prototype.addEventListener`. A listener
 * is tracked when a unit of work adds it to an emitter that unit did not first use
 * (a long-lived bus, signal, process) next to another listener of the same event:
 * growth is what leaks, and a lone listener on an emitter that is itself garbage (a
 * request's signal) goes when the emitter does. Listeners on streams, sockets and HTTP
 * messages are never tracked: Node's stream and http internals add them to pooled and
 * finished streams and to every request all the time, and the stream, socket or request
 * itself is what leaks (tracked as such). A tracked listener is released once the
 * emitter no longer holds it (see `listenerLiveness`), or the emitter is collected.
 *
 * Streams, sockets and HTTP messages take most `on` calls of a process (Node's http code
 * adds about 20 per request, 4 of them on the client request), so they skip the wrapper
 * altogether: `Stream.prototype` (under every Readable, Writable, Duplex, socket, client
 * request and server response) gets the original functions as its own.
 */
export function interceptListeners(patches: PatchSet, sink: ResourceSink): void {
  /** Emitters that refuse a new property (frozen, sealed) remember their first use here instead. */
  const firstUseOfSealed = new WeakMap<object, number>();
  const wrap = (original: AddListener): AddListener => {
    // On the hot path of every `on` in Node's own http, net and stream code (about 20 per
    // HTTP request): exact arguments (no rest array), streams skipped before anything else,
    // and the first use kept on the emitter itself (a WeakMap entry per emitter costs the
    // collector far more than a symbol field).
    const wrapper: AddListener = function (this: object, event, listener) {
      // biome-ignore lint/complexity/noArguments: a rest array would be allocated on every call of a hot path
      const result = arguments.length === 2 ? original.call(this, event, listener) : Reflect.apply(original, this, arguments);
      // Streams whose prototype chain skips Stream.prototype (or built before it was shadowed) still carry stream state.
      if (!patches.active || isStream(this)) return result;
      const context = reconcileContext.getStore();
      const first = firstUseOf(this, firstUseOfSealed);
      if (first === undefined) setFirstUse(this, context?.reconcileId ?? 0, firstUseOfSealed);
      else if (context !== undefined && first !== context.reconcileId && isObject(listener) && piledUp(this, event)) {
        noteListenerSite(listener, this, event);
        sink.created("Listener", listener, wrapper);
      }
      return result;
    };
    return wrapper;
  };
  type Adders = Record<"on" | "addListener" | "prependListener", AddListener>;
  const prototype = EventEmitter.prototype as unknown as Adders;
  const originals: Adders = { on: prototype.on, addListener: prototype.addListener, prependListener: prototype.prependListener };
  const addListener = wrap(originals.addListener);
  const wrappers: Adders = {
    addListener,
    on: originals.on === originals.addListener ? addListener : wrap(originals.on),
    prependListener: wrap(originals.prependListener),
  };
  const streamPrototype = Stream.prototype as unknown as Adders;
  const streamsInherit = Object.getPrototypeOf(streamPrototype) === prototype;
  for (const name of ["addListener", "on", "prependListener"] as const) {
    patches.replace(prototype, name, wrappers[name]);
    if (streamsInherit && streamPrototype[name] === wrappers[name]) patches.shadow(streamPrototype, name, originals[name]);
  }

  const signalPrototype = AbortSignal.prototype as unknown as { addEventListener: AddListener };
  patches.replace(signalPrototype, "addEventListener", wrap(signalPrototype.addEventListener));
}

/** The reconcile in which an emitter was first given a listener (0: outside any). */
const FIRST_USE = Symbol("loopscope.listenerFirstUse");

function firstUseOf(emitter: object, sealed: WeakMap<object, number>): number | undefined {
  const own = (emitter as Record<symbol, unknown>)[FIRST_USE];
  return typeof own === "number" ? own : sealed.get(emitter);
}

function setFirstUse(emitter: object, reconcileId: number, sealed: WeakMap<object, number>): void {
  try {
    (emitter as Record<symbol, unknown>)[FIRST_USE] = reconcileId;
  } catch {
    sealed.set(emitter, reconcileId);
  }
}

function isObject(value: unknown): value is object {
  return typeof value === "function" || (typeof value === "object" && value !== null);
}

/** Whether `event` now has more than one listener on `emitter` (EventEmitter or EventTarget). */
function piledUp(emitter: object, event: string | symbol): boolean {
  const count = (emitter as { listenerCount?: (event: string | symbol) => number }).listenerCount;
  if (typeof count === "function") return count.call(emitter, event) > 1;
  return getEventListeners(emitter as EventTarget, event as string).length > 1;
}

/** Readable, Writable, Duplex and net.Socket carry Node's stream state. */
function isStream(emitter: object): boolean {
  return "_readableState" in emitter || "_writableState" in emitter;
}
