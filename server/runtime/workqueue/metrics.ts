/**
 * What a work queue reports, with client-go's semantics (util/workqueue/metrics.go):
 * - `add` runs only when a key newly becomes dirty (deduplicated adds are not counted),
 *   so depth = number of dirty keys, including keys dirty while they are processed;
 * - `get` runs when a worker takes a key, with the seconds since it became dirty;
 * - `done` runs when the worker finishes, with the seconds it spent;
 * - `retry` runs on every delayed add (client-go counts every AddAfter);
 * - `unfinishedWork` runs every 500 ms with the summed and the longest age of the keys
 *   being processed (it is how a stuck worker becomes visible);
 * - `delayed` runs whenever the number of keys waiting in the delay heap changes.
 */
export interface WorkQueueMetrics {
  add(): void;
  get(queuedSeconds: number): void;
  done(workSeconds: number): void;
  retry(): void;
  unfinishedWork(unfinishedSeconds: number, longestRunningSeconds: number): void;
  delayed(waiting: number): void;
}

/** How often the in-flight gauges are refreshed (client-go's defaultUnfinishedWorkUpdatePeriod). */
export const UNFINISHED_WORK_UPDATE_PERIOD_MS = 500;
