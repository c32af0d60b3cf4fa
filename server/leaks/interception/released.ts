import { getEventListeners } from "node:events";

/**
 * How interceptors tell the sweep that a handle Node gives no public "closed" state
 * for was let go: they set a symbol on it when its close/exit/stop event fires, or when
 * its closing method is called. Listeners carry where they were added instead.
 */
const RELEASED = Symbol("loopscope.released");
const LISTENER_OF = Symbol("loopscope.listenerOf");

type Marked = Record<symbol, unknown>;

export function markReleased(handle: object): void {
  (handle as Marked)[RELEASED] = true;
}

export function isReleased(handle: object): boolean {
  return (handle as Marked)[RELEASED] === true;
}

/** Marks `handle` released when `emitter` emits `event` (once). */
export function releaseOn(handle: object, emitter: { once(event: string, listener: () => void): unknown }, event: string): void {
  emitter.once(event, () => markReleased(handle));
}

interface ListenerSite {
  readonly emitter: WeakRef<object>;
  readonly event: string | symbol;
}

/** Remembers which emitter and event `listener` was added to. */
export function noteListenerSite(listener: object, emitter: object, event: string | symbol): void {
  (listener as Marked)[LISTENER_OF] = { emitter: new WeakRef(emitter), event } satisfies ListenerSite;
}

/** A listener is live while its emitter exists and still holds it (raw, so once-wrappers count). */
export function listenerLiveness(listener: object): "gone" | "live" {
  const site = (listener as Marked)[LISTENER_OF] as ListenerSite | undefined;
  const emitter = site?.emitter.deref();
  if (site === undefined || emitter === undefined) return "gone";
  const raw = (emitter as { rawListeners?: (event: string | symbol) => unknown[] }).rawListeners;
  const held = typeof raw === "function" ? raw.call(emitter, site.event) : getEventListeners(emitter as EventTarget, site.event as string);
  return held.includes(listener) ? "live" : "gone";
}
