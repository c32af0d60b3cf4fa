import { done, error, type Reconciler, ReconcileTimeoutError, requeueAfter } from "../runtime";
import type { DemoCluster } from "./demo-cluster";
import { SeededRandom } from "./random";

/** A log-normal reconcile latency in demo milliseconds. */
export interface LatencyDistribution {
  medianMs: number;
  /** Spread of the underlying normal; 0.5 gives p99 ≈ 3.2 × median. */
  sigma: number;
}

/** How one demo controller behaves when no fault acts on it. */
export interface DemoControllerProfile {
  controller: string;
  latency: LatencyDistribution;
  /** Share of reconciles that fail on their own (optimistic-lock conflicts and the like). */
  baselineErrorRate: number;
  /** Workers; default the runtime's worker setting. */
  workers?: number;
  /** Reconcile timeout in demo milliseconds. */
  reconcileTimeoutMs?: number;
}

export const DEMO_PROFILES: readonly DemoControllerProfile[] = [
  { controller: "pods", latency: { medianMs: 12, sigma: 0.6 }, baselineErrorRate: 0.003 },
  { controller: "deployments", latency: { medianMs: 35, sigma: 0.5 }, baselineErrorRate: 0.002, reconcileTimeoutMs: 30_000 },
  { controller: "configmaps", latency: { medianMs: 4, sigma: 0.4 }, baselineErrorRate: 0.001 },
];

/** How the reconcile-side faults act. */
export const FAULT_EFFECTS = {
  slowLatencyFactor: 25,
  /** "slow-3x": a realistic slow-down (a dependency three times slower). */
  mildSlowLatencyFactor: 3,
  slowExtraSigma: 0.3,
  hotKeyLatencyFactor: 4,
  errorRate: 0.7,
  /** "errors-15": a realistic partial failure. */
  mildErrorRate: 0.15,
  /** Share of the failures that are thrown (counted as panics) instead of returned. */
  panicShare: 0.1,
  // The leak faults act out the usual bugs, which leak on every reconcile that takes the
  // faulty path: an interval never cleared, a connection never closed, a wait that never ends.
  leakTimerChance: 1,
  leakSocketChance: 1,
  leakPromiseChance: 1,
} as const;

const FAILURES = [
  (key: string) => `Operation cannot be fulfilled on ${key}: the object has been modified; please apply your changes to the latest version and try again`,
  () => `Internal error occurred: failed calling webhook "validate.policy.example.io": context deadline exceeded`,
  () => "etcdserver: request timed out",
  (key: string) => `admission webhook "quota.example.io" denied the request: exceeded quota for ${key.split("/")[0]}`,
  () => "the server is currently unable to handle the request (get leases.coordination.k8s.io)",
] as const;

/** Waits `ms` real milliseconds; resolves false early when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Waits for the fault to end, or for a shutdown abort (a timeout abort does not release it). */
function untilReleased(ended: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      if (!(signal.reason instanceof ReconcileTimeoutError)) resolve();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    void ended.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

/**
 * The reconcile function of one demo controller: it takes a log-normal time, fails at
 * its baseline rate, requeues pending pods and unavailable deployments, and acts out
 * the fault currently aimed at its controller. Leaks are created here, inside the
 * reconcile, so the reconcile context is the one active when they are made.
 */
export function demoReconciler(cluster: DemoCluster, profile: DemoControllerProfile): Reconciler {
  const random = SeededRandom.derive(cluster.seed, `reconcile:${profile.controller}`);
  const { medianMs, sigma } = profile.latency;
  return async ({ key, signal }) => {
    const fault = cluster.faultFor(profile.controller);
    const kind = fault?.window.fault;
    if (fault && kind === "stuck" && !fault.stuckClaimed) {
      fault.stuckClaimed = true;
      fault.key = key;
      await untilReleased(fault.ended, signal);
      return done();
    }
    if (kind === "leak-timer" && random.chance(FAULT_EFFECTS.leakTimerChance)) cluster.leaks.leakTimer();
    if (kind === "leak-socket" && random.chance(FAULT_EFFECTS.leakSocketChance)) cluster.leaks.leakSocket();
    if (kind === "leak-promise" && random.chance(FAULT_EFFECTS.leakPromiseChance)) cluster.leaks.leakPromise();

    let latency =
      kind === "slow"
        ? random.lognormal(medianMs * FAULT_EFFECTS.slowLatencyFactor, sigma + FAULT_EFFECTS.slowExtraSigma)
        : random.lognormal(kind === "slow-3x" ? medianMs * FAULT_EFFECTS.mildSlowLatencyFactor : medianMs, sigma);
    if (kind === "hot-key" && key === fault?.key) latency *= FAULT_EFFECTS.hotKeyLatencyFactor;
    if (!(await pause(cluster.toRealMs(latency), signal))) throw signal.reason;

    if ((kind === "errors" && random.chance(FAULT_EFFECTS.errorRate)) || (kind === "errors-15" && random.chance(FAULT_EFFECTS.mildErrorRate))) {
      if (random.chance(FAULT_EFFECTS.panicShare)) throw new TypeError("Cannot read properties of undefined (reading 'status')");
      return error(new Error(random.pick(FAILURES)(key)));
    }
    if (random.chance(profile.baselineErrorRate)) return error(new Error(FAILURES[0](key)));

    const object = cluster.inventory.get(profile.controller, key);
    if (!object) return done();
    if (object.kind === "Pod" && object.status.phase === "Pending") return requeueAfter(cluster.toRealMs(5_000));
    if (object.kind === "Deployment" && Number(object.status.unavailableReplicas ?? 0) > 0) return requeueAfter(cluster.toRealMs(15_000));
    return done();
  };
}
