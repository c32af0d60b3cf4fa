import { type Finding, type FindingFilter, FindingsStore } from "./findings";
import { DEFAULT_HEALTH_THRESHOLDS, evaluateObjectHealth, type HealthThresholds, type Severity } from "./object-health";

/** The request a controller hands a reconcile function. */
export interface HealthReconcileRequest {
  key: string;
  signal: AbortSignal;
}

export type HealthReconcile = (request: HealthReconcileRequest) => Promise<void>;

export interface ClusterHealthOptions {
  /** The informer cache: the object of a kind by key, or undefined when it is gone. */
  lookup: (kind: string, key: string) => unknown;
  /** Where findings are kept (default a new store of 5,000). */
  store?: FindingsStore;
  thresholds?: Partial<HealthThresholds>;
  now?: () => number;
  /**
   * Asked to evaluate an object again after a delay, when a threshold will be crossed
   * without the object changing (a pod pending for 4 of the 5 allowed minutes). Wire it
   * to the controller queue's addAfter; without it, the next resync catches up.
   */
  recheck?: (kind: string, key: string, afterMs: number) => void;
}

/**
 * Loopscope's built-in, read-only reconciler for cluster objects: each reconcile of a
 * key evaluates the cached object's health and replaces that object's findings (a
 * deleted object's findings go with it). It never writes to the cluster.
 */
export class ClusterHealthReconciler {
  readonly store: FindingsStore;
  private readonly thresholds: HealthThresholds;
  private readonly now: () => number;

  constructor(private readonly options: ClusterHealthOptions) {
    this.store = options.store ?? new FindingsStore();
    this.thresholds = { ...DEFAULT_HEALTH_THRESHOLDS, ...options.thresholds };
    this.now = options.now ?? Date.now;
  }

  /** Evaluates one object now. */
  evaluate(kind: string, key: string): void {
    const object = this.options.lookup(kind, key);
    if (object === undefined || object === null) {
      this.store.remove(kind, key);
      return;
    }
    const now = this.now();
    const evaluation = evaluateObjectHealth(kind, object, now, this.thresholds);
    this.store.replace(kind, key, evaluation.findings, now);
    if (evaluation.recheckAfterMs !== undefined) this.options.recheck?.(kind, key, Math.max(1, evaluation.recheckAfterMs));
  }

  /** The reconcile function for the controller of one kind (the controller's name is the kind, e.g. "pods"). */
  reconcilerFor(kind: string): HealthReconcile {
    return async ({ key, signal }) => {
      if (signal.aborted) return;
      this.evaluate(kind, key);
    };
  }

  findings(filter?: FindingFilter): Finding[] {
    return this.store.findings(filter);
  }

  counts(): Record<Severity, number> {
    return this.store.counts();
  }
}
