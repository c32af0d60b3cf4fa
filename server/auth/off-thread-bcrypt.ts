import { Worker } from "node:worker_threads";

interface Pending {
  resolve: (ok: boolean) => void;
  reject: (error: Error) => void;
}

interface Running {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * bcrypt compares on a worker thread. bcryptjs is JavaScript: one compare at cost 10–12 is
 * 0.1–0.5 s of CPU, and on the event loop (even in bcryptjs's async slices of up to 100 ms)
 * it holds every other request behind it, health probes included. Here the event loop only
 * posts a message. One worker, started on first use, keeps the process alive only while a
 * check is in flight; a worker that fails fails its pending checks and is replaced on the next.
 */
export class OffThreadBcrypt {
  private running: Running | undefined;
  private nextId = 0;
  private started = 0;

  /** Compares `text` with a bcrypt `hash`; false for a malformed hash. */
  compare(text: string, hash: string): Promise<boolean> {
    const { worker, pending } = this.running ?? this.start();
    const id = this.nextId++;
    this.started += 1;
    if (pending.size === 0) worker.ref();
    return new Promise<boolean>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, text, hash });
    });
  }

  /** Compares started so far (what a flood of bogus credentials has cost). */
  get checks(): number {
    return this.started;
  }

  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.worker.terminate();
  }

  private start(): Running {
    const worker = new Worker(new URL("./bcrypt-worker.mjs", import.meta.url));
    const running: Running = { worker, pending: new Map() };
    worker.unref();
    worker.on("message", ({ id, ok }: { id: number; ok: boolean }) => {
      const waiter = running.pending.get(id);
      running.pending.delete(id);
      if (running.pending.size === 0) worker.unref();
      waiter?.resolve(ok === true);
    });
    const fail = (error: Error) => {
      if (this.running === running) this.running = undefined;
      const waiters = [...running.pending.values()];
      running.pending.clear();
      for (const waiter of waiters) waiter.reject(error);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the bcrypt worker exited (code ${code})`)));
    this.running = running;
    return running;
  }
}
