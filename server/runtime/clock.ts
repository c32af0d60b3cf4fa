import { performance } from "node:perf_hooks";
import { reconcileContext } from "./context";

/** An opaque handle for a timer set through a {@link Clock}. */
export type TimerHandle = { readonly __timer: true } | NodeJS.Timeout;

/**
 * Time as the runtime sees it: a monotonic millisecond reading and one-shot timers.
 * Injected so queues, limiters and controllers can be driven step by step in tests.
 */
export interface Clock {
  /** Monotonic milliseconds (fractional); only differences are meaningful. */
  now(): number;
  /** Calls `callback` once, `ms` milliseconds from now. */
  setTimer(callback: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/**
 * The process clock. Timers are created outside any reconcile context (so a leak
 * tracker never blames a reconcile for the runtime's own timers) and are unref'd
 * (runtime bookkeeping never keeps the process alive on its own).
 */
const monotonic = performance.now.bind(performance);

/**
 * The longest delay one Node timer holds: longer ones (and non-finite ones) fire after
 * 1 ms with a TimeoutOverflowWarning, which turned a 30-day `addAfter` into a hot loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer made of capped Node timers: each one that fires early re-arms for the rest. */
class LongTimer {
  readonly __timer = true as const;
  private timeout: NodeJS.Timeout | undefined;

  constructor(
    private readonly callback: () => void,
    private readonly at: number,
    private readonly maxChunkMs: number,
  ) {
    this.arm();
  }

  cancel(): void {
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.timeout = undefined;
  }

  /**
   * Node's timers run on the event loop's whole-millisecond clock, so one can fire up to
   * a millisecond before its delay has passed by the monotonic clock: each part is rounded
   * up, and a timer that wakes before its deadline re-arms for what is left.
   */
  private arm(): void {
    const remaining = this.at - monotonic();
    const chunk = Math.min(Math.ceil(Math.max(0, remaining)), this.maxChunkMs);
    this.timeout = setTimeout(() => {
      this.timeout = undefined;
      if (this.at - monotonic() > 0) this.arm();
      else this.callback();
    }, chunk);
    this.timeout.unref();
  }
}

/**
 * Calls `callback` once after `ms` (any length: a delay over {@link MAX_TIMER_MS} is
 * served by successive timers of at most `maxChunkMs`). Outside any reconcile context
 * and unref'd, as every runtime timer is.
 */
export function setLongTimer(callback: () => void, ms: number, maxChunkMs = MAX_TIMER_MS): TimerHandle {
  if (!(maxChunkMs >= 1 && maxChunkMs <= MAX_TIMER_MS)) throw new RangeError(`maxChunkMs must be between 1 and ${MAX_TIMER_MS}, got ${maxChunkMs}`);
  const delay = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  return reconcileContext.exit(() => new LongTimer(callback, monotonic() + delay, maxChunkMs));
}

export const systemClock: Clock = {
  now: monotonic,
  setTimer(callback, ms) {
    return setLongTimer(callback, ms);
  },
  clearTimer(handle) {
    if (handle instanceof LongTimer) handle.cancel();
    else clearTimeout(handle as NodeJS.Timeout);
  },
};

interface ManualTimer {
  readonly __timer: true;
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires due timers in deadline
 * order (ties in creation order), including timers set by those callbacks while the
 * target time has not been passed.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { __timer: true, at: this.time + Math.max(0, ms), seq: this.seq++, callback, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    (handle as ManualTimer).cancelled = true;
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** Timers still waiting to fire. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that becomes due on the way. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.timers) {
        if (timer.at <= target && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
      }
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = target;
  }
}
