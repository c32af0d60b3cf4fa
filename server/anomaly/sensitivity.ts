/**
 * Sensitivity is the one knob a user turns per series. It maps to how far (in robust
 * standard deviations, "z") a point must sit from the expected value to count as
 * anomalous, and the score scale is shared by every series so that "score ≥ 0.5"
 * means the same thing everywhere.
 */
export const SENSITIVITIES = ["low", "medium", "high"] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

export const DEFAULT_SENSITIVITY: Sensitivity = "medium";

/** Deviations (in robust σ) at which a point leaves the expected band. */
const Z_THRESHOLD: Record<Sensitivity, number> = { low: 5, medium: 4, high: 3 };

/** Once a window is open it stays open while points remain above this share of the entry z. */
const STAY_FRACTION = 0.8;

/** The z at which the score is 0.5 (the medium band edge). */
const Z_HALF = 4;

/**
 * Maps a robust z (≥ 0) to a score in [0, 1): 0 on the expected value, 0.5 at 4 σ,
 * ≈0.79 at 6 σ, ≈0.94 at 8 σ. Monotone, so thresholds on z and on score agree.
 */
export function scoreFromZ(z: number): number {
  if (!(z > 0)) return 0;
  const r = z / Z_HALF;
  return 1 - Math.exp(-r * r * Math.LN2);
}

export interface SensitivityThresholds {
  /** Band half-width in robust σ. */
  z: number;
  /** Score at which a point is anomalous (the band edge). */
  score: number;
  /** Score above which an already open window keeps going (hysteresis). */
  stayScore: number;
}

const THRESHOLDS = Object.fromEntries(
  SENSITIVITIES.map((s) => {
    const z = Z_THRESHOLD[s];
    return [s, Object.freeze({ z, score: scoreFromZ(z), stayScore: scoreFromZ(z * STAY_FRACTION) })];
  }),
) as Record<Sensitivity, Readonly<SensitivityThresholds>>;

export function thresholdsFor(sensitivity: Sensitivity): Readonly<SensitivityThresholds> {
  return THRESHOLDS[sensitivity];
}

export function isSensitivity(value: unknown): value is Sensitivity {
  return typeof value === "string" && (SENSITIVITIES as readonly string[]).includes(value);
}
