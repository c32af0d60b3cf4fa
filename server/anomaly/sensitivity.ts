/**
 * Sensitivity is the one knob a user turns per series. It maps to how improbable a
 * point must be under its series' own history to count as anomalous, and the score
 * scale is shared by every series so that "score ≥ 0.5" means the same thing everywhere.
 */
import { scoreFromProbability } from "./surprise";

export const SENSITIVITIES = ["low", "medium", "high"] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

export const DEFAULT_SENSITIVITY: Sensitivity = "medium";

/**
 * How improbable a point must be, under its own series' history, to be anomalous
 * (see surprise.ts): one in 10,000 / 100,000 / 1,000,000 points. Scores are
 * −log10(P) / 10, so the thresholds are 0.4 / 0.5 / 0.6 on every series.
 */
const PROBABILITY: Record<Sensitivity, number> = { low: 1e-6, medium: 1e-5, high: 1e-4 };

/** Once a window is open it stays open while points score above the open score minus this. */
const STAY_MARGIN = 0.15;

export interface SensitivityThresholds {
  /** Tail probability at the band edge. */
  probability: number;
  /** Score at which a point is anomalous (the band edge). */
  score: number;
  /** Score above which an already open window keeps going (hysteresis). */
  stayScore: number;
}

const THRESHOLDS = Object.fromEntries(
  SENSITIVITIES.map((s) => {
    const probability = PROBABILITY[s];
    const score = scoreFromProbability(probability);
    return [s, Object.freeze({ probability, score, stayScore: score - STAY_MARGIN })];
  }),
) as Record<Sensitivity, Readonly<SensitivityThresholds>>;

export function thresholdsFor(sensitivity: Sensitivity): Readonly<SensitivityThresholds> {
  return THRESHOLDS[sensitivity];
}

export function isSensitivity(value: unknown): value is Sensitivity {
  return typeof value === "string" && (SENSITIVITIES as readonly string[]).includes(value);
}
