import workerThreads from "node:worker_threads";
import type { StackAnchor } from "../creation-stack";
import type { PatchSet } from "./patch-set";
import { releaseOn } from "./released";
import type { ResourceSink } from "./resource-sink";

/** Replaces `worker_threads.Worker` with a subclass; a worker is released when it emits "exit" (ended or terminated). */
export function interceptWorkers(patches: PatchSet, sink: ResourceSink): void {
  const OriginalWorker = workerThreads.Worker;
  class Worker extends OriginalWorker {
    /** Workers started before the tracker was installed stay `instanceof Worker`. */
    static [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof OriginalWorker;
    }
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      super(...args);
      if (patches.active) {
        releaseOn(this, this, "exit");
        sink.created("Worker", this, Worker as unknown as StackAnchor);
      }
    }
  }
  Object.defineProperty(Worker, "name", { value: "Worker" });
  patches.replace(workerThreads, "Worker", Worker);
}
