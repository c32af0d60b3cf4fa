import { type AsyncHook, createHook } from "node:async_hooks";

export interface PromiseSink {
  /** A promise was created; `hook` is the frame to cut the creation stack at. */
  promiseCreated(asyncId: number, promise: object, hook: (...args: never[]) => unknown): void;
  /** The promise was resolved or rejected. */
  promiseSettled(asyncId: number): void;
}

/**
 * Deep mode: an async_hooks hook that sees promises. It registers `init` and
 * `promiseResolve` only — no `destroy`, because any destroy hook makes V8 track every
 * promise for garbage collection, the dominant cost (offline-stack §E). Pending
 * promises that are collected are noticed through the tracker's WeakRef instead.
 * Off by default; switchable at run time.
 */
export class PromiseTracking {
  private hook: AsyncHook | undefined;

  constructor(private readonly sink: PromiseSink) {}

  get enabled(): boolean {
    return this.hook !== undefined;
  }

  enable(): void {
    if (this.hook) return;
    const sink = this.sink;
    const init = (asyncId: number, type: string, _trigger: number, resource: object): void => {
      if (type === "PROMISE") sink.promiseCreated(asyncId, resource, init);
    };
    this.hook = createHook({ init, promiseResolve: (asyncId: number) => sink.promiseSettled(asyncId) }).enable();
  }

  disable(): void {
    this.hook?.disable();
    this.hook = undefined;
  }
}
