import type { Registry } from "prom-client";
import type { Logger } from "../log";
import { ControllerRuntime, type ReconcileContext } from "../runtime";
import { DemoCluster, type DemoClusterOptions } from "./demo-cluster";
import { DEMO_KINDS } from "./inventory";
import { DEMO_PROFILES, type DemoControllerProfile, demoReconciler } from "./reconcilers";

export interface DemoRuntimeOptions extends DemoClusterOptions {
  /** Workers per demo controller (LOOPSCOPE_WORKERS; default 4). */
  workers?: number;
  /** Registry for the metrics (default the process registry); false = none. */
  registry?: Registry | false;
  log?: Logger;
  profiles?: readonly DemoControllerProfile[];
  /** Told when each reconcile settles (wire the leak tracker's `reconcileSettled`). */
  onReconcileSettled?: (context: ReconcileContext) => void;
}

/**
 * A controller runtime fed by the demo cluster, with one demo controller per kind
 * (pods, deployments, config maps). Start and stop it through `runtime`.
 */
export function createDemoRuntime(options: DemoRuntimeOptions = {}): { runtime: ControllerRuntime; cluster: DemoCluster } {
  const profiles = options.profiles ?? DEMO_PROFILES;
  const cluster = new DemoCluster({ ...options, kinds: (options.kinds ?? DEMO_KINDS).filter((k) => profiles.some((p) => p.controller === k.controller)) });
  const runtime = new ControllerRuntime({ source: cluster, registry: options.registry, log: options.log, onReconcileSettled: options.onReconcileSettled });
  for (const profile of profiles) {
    if (!cluster.kinds.some((kind) => kind.controller === profile.controller)) continue;
    runtime.addController({
      name: profile.controller,
      reconcile: demoReconciler(cluster, profile),
      maxConcurrentReconciles: profile.workers ?? options.workers ?? 4,
      reconcileTimeoutMs: profile.reconcileTimeoutMs === undefined ? undefined : cluster.toRealMs(profile.reconcileTimeoutMs),
      stuckAfterMs: cluster.toRealMs(60_000),
      drainTimeoutMs: 2_000,
    });
  }
  return { runtime, cluster };
}
