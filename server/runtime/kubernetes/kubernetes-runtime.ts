import type { KubeConfig } from "@kubernetes/client-node";
import type { ReconcileContext } from "../context";
import { done } from "../controller/result";
import { ControllerRuntime } from "../runtime";
import { ClusterHealthReconciler } from "./cluster-health";
import { KubernetesSource } from "./kubernetes-source";


export interface KubernetesRuntimeOptions {
  kubeConfig: KubeConfig;
  kinds: string;
  namespace?: string;
  resyncMs?: number;
  stallAfterMs?: number;
  workers: number;
  onReconcileSettled?: (context: ReconcileContext) => void;
}

/**
 * A read-only controller runtime on a real cluster: one controller per watched kind,
 * each reconciling object health (crash loops, pending pods, unavailable replicas,
 * not-ready nodes) from the informer cache.
 */
export function createKubernetesRuntime(options: KubernetesRuntimeOptions): { runtime: ControllerRuntime; source: KubernetesSource; health: ClusterHealthReconciler } {
  const source = new KubernetesSource({
    kubeConfig: options.kubeConfig,
    kinds: options.kinds,
    namespace: options.namespace,
    resyncMs: options.resyncMs,
    stallAfterMs: options.stallAfterMs,
  });
  const runtime = new ControllerRuntime({ source, onReconcileSettled: options.onReconcileSettled });
  const health = new ClusterHealthReconciler({
    lookup: (kind, key) => source.get(kind, key),
    recheck: (kind, key, afterMs) => runtime.controller(kind)?.enqueueAfter(key, afterMs),
  });
  for (const kind of source.watchedKinds()) {
    const reconcile = health.reconcilerFor(kind);
    runtime.addController({
      name: kind,
      maxConcurrentReconciles: options.workers,
      drainTimeoutMs: 2_000,
      reconcile: async ({ key, signal }) => {
        await reconcile({ key, signal });
        return done();
      },
    });
  }
  return { runtime, source, health };
}
