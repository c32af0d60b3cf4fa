import { z } from "zod";

/**
 * Recognises a cumulative counter (a raw `_total` exported as is) and turns it into
 * what can be judged: its increase per typical interval, with a reset (a drop: the
 * process restarted) counted as an increase from zero. The first PROBE_POINTS finite
 * values decide: a series that never falls more than once and rises on at least
 * RISING_SHARE of its steps is a counter; anything else is scored as it is.
 */
const PROBE_POINTS = 20;
const RISING_SHARE = 0.7;

export const counterStateSchema = z.object({
  /** null: still probing. */
  isCounter: z.boolean().nullable(),
  rises: z.number().int(),
  falls: z.number().int(),
  steps: z.number().int(),
  previous: z.number().nullable(),
});
export type CounterState = z.infer<typeof counterStateSchema>;

/** What the detector scores for one raw value: `value` itself, or the counter's increase. */
export interface CounterView {
  /** The quantity to score. */
  x: number;
  /** Maps a level of x back to the raw value's units (for bands). */
  toRaw: (level: number) => number;
  /** True on the point where the series was just recognised as a counter (relearn from here). */
  recognised: boolean;
}

const identity = (level: number) => level;

export class CounterRecognizer {
  private s: CounterState;

  constructor(state?: CounterState) {
    this.s = state ? { ...state } : { isCounter: null, rises: 0, falls: 0, steps: 0, previous: null };
  }

  get isCounter(): boolean {
    return this.s.isCounter === true;
  }

  /** `stepShare` = this step / the typical interval (increases are scaled to one interval). */
  view(value: number, stepShare: number): CounterView {
    const s = this.s;
    const previous = s.previous;
    s.previous = value;
    if (previous !== null && s.isCounter === null) {
      s.steps += 1;
      if (value > previous) s.rises += 1;
      else if (value < previous) s.falls += 1;
      if (s.steps >= PROBE_POINTS - 1) {
        s.isCounter = s.falls <= 1 && s.rises >= RISING_SHARE * s.steps;
        if (s.isCounter) return this.increase(previous, value, stepShare, true);
      }
    }
    if (s.isCounter && previous !== null) return this.increase(previous, value, stepShare, false);
    return { x: value, toRaw: identity, recognised: false };
  }

  private increase(previous: number, value: number, stepShare: number, recognised: boolean): CounterView {
    const share = stepShare > 0 && Number.isFinite(stepShare) ? stepShare : 1;
    const reset = value < previous;
    const base = reset ? 0 : previous;
    return { x: (value - base) / share, toRaw: (level) => base + Math.max(0, level) * share, recognised };
  }

  toState(): CounterState {
    return { ...this.s };
  }
}
