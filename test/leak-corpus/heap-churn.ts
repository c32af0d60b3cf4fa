import { constants, PerformanceObserver } from "node:perf_hooks";

/**
 * What a busy service does to its heap, for runs that need the garbage collector to run
 * on its own (deep mode judges pending promises after the process's own full
 * collections, and never forces one): objects are allocated and kept for a while
 * (so they reach the old generation), then dropped. Nothing is forced: V8 decides
 * when to collect. `fullCollections()` counts the full collections seen meanwhile.
 */
export interface HeapChurn {
  fullCollections(): number;
  stop(): Promise<void>;
}

/** Chunks kept at once, and elements per chunk (an 8 MB array: the large-object space, old generation). */
const RING = 4;
const CHUNK_ELEMENTS = 1_048_576;

export function startHeapChurn(): HeapChurn {
  let full = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (((entry as { detail?: { kind?: number } }).detail?.kind ?? 0) & constants.NODE_PERFORMANCE_GC_MAJOR) full += 1;
  });
  observer.observe({ entryTypes: ["gc"] });
  const ring: unknown[][] = new Array(RING);
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      ring[i % RING] = new Array<unknown>(CHUNK_ELEMENTS).fill(i);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  })();
  return {
    fullCollections: () => full,
    async stop() {
      running = false;
      await loop;
      ring.fill([]);
      observer.disconnect();
    },
  };
}

/** Allocates like a busy service until the process runs a full collection of its own (or `timeoutMs` passes). */
export async function untilFullCollection(timeoutMs = 30_000): Promise<void> {
  const churn = startHeapChurn();
  const deadline = Date.now() + timeoutMs;
  try {
    while (churn.fullCollections() === 0) {
      if (Date.now() > deadline) throw new Error(`no full garbage collection within ${timeoutMs} ms of allocation`);
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await churn.stop();
  }
}
