import { promiseHooks } from "node:v8";

export interface PromiseSink {
  /** A promise was created; `hook` is the frame to cut the creation stack at. */
  promiseCreated(promise: Promise<unknown>, hook: (...args: never[]) => unknown): void;
  /** The promise was resolved or rejected. */
  promiseSettled(promise: Promise<unknown>): void;
}

/**
 * Deep mode: V8's promise hooks (`v8.promiseHooks`), `init` and `settled` only. Not
 * async_hooks: an async_hooks `init` hook also brings every native resource (sockets,
 * parsers, write requests) into JavaScript and gives every promise two async-id fields,
 * which cost more than the tracking itself. No `destroy` either, because any destroy
 * hook makes V8 track every promise for garbage collection (offline-stack §E); pending
 * promises that are collected are noticed through the tracker's WeakRef instead.
 * Off by default; switchable at run time.
 */
export class PromiseTracking {
  private stops: (() => void)[] | undefined;

  constructor(private readonly sink: PromiseSink) {}

  get enabled(): boolean {
    return this.stops !== undefined;
  }

  enable(): void {
    if (this.stops) return;
    const sink = this.sink;
    const init = (promise: Promise<unknown>): void => sink.promiseCreated(promise, init);
    // Typed as returning Function; each is the hook's stop function.
    const stopInit = promiseHooks.onInit(init) as () => void;
    const stopSettled = promiseHooks.onSettled((promise) => sink.promiseSettled(promise)) as () => void;
    this.stops = [stopInit, stopSettled];
  }

  disable(): void {
    for (const stop of this.stops ?? []) stop();
    this.stops = undefined;
  }
}
