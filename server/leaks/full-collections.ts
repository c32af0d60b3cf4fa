import { constants, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";

/**
 * Full garbage collections as the process runs them, watched (never caused) through
 * the `gc` performance entries. Deep mode judges a pending promise only once a full
 * collection began after the tracker stopped holding it: an unreachable promise that
 * never settles is garbage, not a leak, and such a collection frees it (its WeakRef is
 * cleared, its FinalizationRegistry entry called); one still there is held by the
 * program. Times are on `performance.now()`'s clock.
 */
export class FullCollections {
  private observer: PerformanceObserver | undefined;
  private latestStart = Number.NEGATIVE_INFINITY;
  private seen = 0;

  get watching(): boolean {
    return this.observer !== undefined;
  }

  /** Full collections seen since the watch started. */
  get count(): number {
    return this.seen;
  }

  start(): void {
    if (this.observer) return;
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.record(entry);
    });
    this.observer.observe({ entryTypes: ["gc"] });
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  /** Whether a full collection that began after `t` has finished (and been reported). */
  since(t: number): boolean {
    return this.latestStart > t;
  }

  private record(entry: PerformanceEntry): void {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
    if ((kind & constants.NODE_PERFORMANCE_GC_MAJOR) === 0) return;
    this.seen += 1;
    this.latestStart = Math.max(this.latestStart, entry.startTime);
  }
}
