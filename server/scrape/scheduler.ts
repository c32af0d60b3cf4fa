import { type Logger, log as rootLog } from "../log";
import type { ScrapeRequest, ScrapeResult } from "./scraper";
import type { ScrapeAuth, ScrapeTarget } from "./target-schema";

/**
 * Scrapes every target on its own interval and hands each result to `onResult`.
 * Guarantees: a target is never scraped twice at once (a scrape that overruns its
 * interval makes the next tick be skipped, as Prometheus does); ticks stay on a fixed
 * grid per target (no drift); first scrapes are spread over the interval by a stable
 * per-target offset, so many targets do not fire together and a restart keeps each
 * target's phase. Removing or changing a target cancels its in-flight scrape, whose
 * result is then not reported; `stop()` returns once nothing is running, including
 * `onResult` calls already started.
 */

export interface TargetScraper {
  scrape(target: ScrapeRequest, signal?: AbortSignal): Promise<ScrapeResult>;
}

export type ScrapeResultHandler = (target: ScrapeTarget, result: ScrapeResult) => void | Promise<void>;

export interface ScrapeSchedulerOptions {
  readonly scraper: TargetScraper;
  readonly onResult: ScrapeResultHandler;
  /** Delay before a target's first scrape; default {@link phaseOffsetDelay}. */
  readonly firstScrapeDelayMs?: (target: ScrapeTarget, now: number) => number;
  readonly logger?: Logger;
}

/**
 * The default first-scrape delay: waits until the target's own phase within its
 * interval (a hash of id and URL), measured on the wall clock, like Prometheus's offset.
 */
export function phaseOffsetDelay(target: ScrapeTarget, now: number): number {
  let hash = 0x811c9dc5;
  for (const ch of `${target.id}\u0000${target.url}`) hash = Math.imul(hash ^ (ch.codePointAt(0) ?? 0), 0x01000193);
  const offset = (hash >>> 0) % target.intervalMs;
  return (((offset - (now % target.intervalMs)) % target.intervalMs) + target.intervalMs) % target.intervalMs;
}

export class ScrapeScheduler {
  private readonly targets = new Map<number, ScrapeTarget>();
  private readonly loops = new Map<number, TargetLoop>();
  private readonly log: Logger;
  private running = false;

  constructor(private readonly options: ScrapeSchedulerOptions) {
    this.log = options.logger ?? rootLog.child({ component: "scrape-scheduler" });
  }

  /** Starts scraping every enabled target. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const target of this.targets.values()) if (target.enabled) this.startLoop(target);
  }

  /** Stops all scraping; resolves when no scrape or `onResult` is running. Targets are kept for a later start(). */
  async stop(): Promise<void> {
    this.running = false;
    const loops = [...this.loops.values()];
    this.loops.clear();
    await Promise.all(loops.map((loop) => loop.stop()));
  }

  /** Adds a target or replaces the one with the same id. A disabled target is not scraped. */
  upsert(target: ScrapeTarget): void {
    const previous = this.targets.get(target.id);
    this.targets.set(target.id, target);
    const loop = this.loops.get(target.id);
    if (!target.enabled) {
      this.stopLoop(target.id);
      return;
    }
    if (loop !== undefined && previous !== undefined && sameSchedule(previous, target)) {
      loop.target = target; // name or labels changed: keep the phase
      return;
    }
    this.stopLoop(target.id);
    if (this.running) this.startLoop(target);
  }

  /** Stops scraping a target and forgets it. */
  remove(id: number): void {
    this.targets.delete(id);
    this.stopLoop(id);
  }

  /** Replaces the whole set of targets (e.g. after loading from the database). */
  replaceAll(targets: readonly ScrapeTarget[]): void {
    const keep = new Set(targets.map((t) => t.id));
    for (const id of [...this.targets.keys()]) if (!keep.has(id)) this.remove(id);
    for (const target of targets) this.upsert(target);
  }

  list(): ScrapeTarget[] {
    return [...this.targets.values()];
  }

  /**
   * Scrapes a target now (reporting to `onResult` as usual) without moving its grid;
   * if a scrape is already running, returns that one's result. Undefined when the
   * target is unknown, disabled, or the scheduler is stopped.
   */
  async scrapeNow(id: number): Promise<ScrapeResult | undefined> {
    return this.loops.get(id)?.runNow();
  }

  private startLoop(target: ScrapeTarget): void {
    const now = Date.now();
    const delay = this.options.firstScrapeDelayMs?.(target, now) ?? phaseOffsetDelay(target, now);
    this.loops.set(target.id, new TargetLoop(target, this.options, this.log, Math.max(0, delay)));
  }

  private stopLoop(id: number): void {
    const loop = this.loops.get(id);
    if (loop === undefined) return;
    this.loops.delete(id);
    loop.stop().catch((error: unknown) => this.log.error({ err: error, targetId: id }, "stopping a scrape loop failed"));
  }
}

/** One target's timer and its (at most one) running scrape. */
class TargetLoop {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<ScrapeResult | undefined> | undefined;
  private stopped = false;
  private readonly firstAt: number;

  constructor(
    public target: ScrapeTarget,
    private readonly options: ScrapeSchedulerOptions,
    private readonly log: Logger,
    firstDelayMs: number,
  ) {
    this.firstAt = Date.now() + firstDelayMs;
    this.arm(firstDelayMs);
  }

  runNow(): Promise<ScrapeResult | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    return this.inFlight ?? this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller.abort();
    await this.inFlight;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref();
  }

  /** Schedules the next grid point strictly after now. */
  private armNext(): void {
    if (this.stopped) return;
    const now = Date.now();
    const interval = this.target.intervalMs;
    const next = this.firstAt + (Math.floor((now - this.firstAt) / interval) + 1) * interval;
    this.arm(Math.max(0, next - now));
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.inFlight !== undefined) {
      this.armNext(); // still running (e.g. a scrapeNow): skip this tick
      return;
    }
    void this.run().finally(() => this.armNext());
  }

  private run(): Promise<ScrapeResult | undefined> {
    const target = this.target;
    const running = (async () => {
      let result: ScrapeResult;
      try {
        result = await this.options.scraper.scrape({ url: target.url, timeoutMs: target.timeoutMs, auth: target.auth }, this.controller.signal);
      } catch (error) {
        // Scraper never throws; a custom TargetScraper might.
        result = { ok: false, error: `scrape failed: ${(error as Error).message}`, errorKind: "network", durationMs: 0, scrapedAt: Date.now() };
      }
      if (this.stopped) return undefined;
      try {
        await this.options.onResult(this.target, result);
      } catch (error) {
        this.log.error({ err: error, targetId: target.id, target: target.name }, "handling a scrape result failed");
      }
      return result;
    })();
    this.inFlight = running;
    void running.finally(() => {
      if (this.inFlight === running) this.inFlight = undefined;
    });
    return running;
  }
}

function sameSchedule(a: ScrapeTarget, b: ScrapeTarget): boolean {
  return a.url === b.url && a.intervalMs === b.intervalMs && a.timeoutMs === b.timeoutMs && sameAuth(a.auth, b.auth);
}

function sameAuth(a: ScrapeAuth, b: ScrapeAuth): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "bearer" && b.kind === "bearer") return a.token === b.token;
  if (a.kind === "basic" && b.kind === "basic") return a.username === b.username && a.password === b.password;
  return true;
}
