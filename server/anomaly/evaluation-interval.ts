/**
 * How often anomaly detection evaluates: once per scrape of Loopscope's own store, so a
 * new point is scored within one scrape interval of being recorded (it waits half an
 * interval on average), but never more often than every 5 s nor less often than every 10 s.
 */
export function anomalyEvaluationInterval(scrapeIntervalMs: number): number {
  return Math.min(10_000, Math.max(5_000, scrapeIntervalMs));
}
