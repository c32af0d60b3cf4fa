import measured from "./leak-tracker-cost.json";

/**
 * The leak tracker's cost as `npm run bench:leaks` last measured it (the benchmark writes
 * leak-tracker-cost.json on a full run): reconcile throughput with the tracker over the
 * same workload without it, in Loopscope's process and with the agent in a separate one.
 */
export interface LeakTrackerCost {
  /** When the benchmark ran (ISO 8601). */
  measuredAt: string;
  node: string;
  cpus: number;
  /** Always-on handle tracking, promise tracking off. */
  ratioDefault: number;
  /** Promise tracking on. */
  ratioDeep: number;
  agentProcessRatioDefault: number;
  agentProcessRatioDeep: number;
}

function isCost(value: unknown): value is LeakTrackerCost {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const ratios = ["ratioDefault", "ratioDeep", "agentProcessRatioDefault", "agentProcessRatioDeep"];
  return typeof v.measuredAt === "string" && typeof v.node === "string" && typeof v.cpus === "number" && ratios.every((k) => typeof v[k] === "number" && Number.isFinite(v[k]));
}

/** The recorded figures, or null when none are recorded (or the file is malformed). */
export const leakTrackerCost: LeakTrackerCost | null = isCost(measured) ? measured : null;

/** "0.78×" */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}
