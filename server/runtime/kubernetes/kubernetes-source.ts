import type { KubeConfig } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import { log } from "../../log";
import { metricsRegistry } from "../../metrics/registry";
import type { EventSource, ObjectEventSink } from "../source";
import type { BackoffOptions } from "./backoff";
import { KindWatcher, type KubernetesWatchHealth } from "./kind-watcher";
import { DEFAULT_WATCH_KINDS, parseWatchKinds, type WatchedKind } from "./kinds";
import { watchMetrics } from "./metrics";
import type { KubeObject } from "./object-store";

export interface KubernetesSourceOptions {
  kubeConfig: KubeConfig;
  /** Kinds to watch: a comma list ("pods,deployments,nodes", the default) or parsed kinds. */
  kinds?: string | readonly WatchedKind[];
  /** Watch one namespace only (cluster-scoped kinds are still watched cluster-wide). */
  namespace?: string;
  /** Re-emit every cached object as "resync" this often (default 10 min; 0 = never). */
  resyncMs?: number;
  /** Restart a watch with no event and no successful connection for this long (default 5 min; 0 = never). */
  stallAfterMs?: number;
  /**
   * client-node's watch inactivity timeout (its default 30 s): a watch without a byte
   * for this long reconnects from its last resourceVersion. Keep it below stallAfterMs,
   * so a quiet but healthy watch keeps proving itself alive by reconnecting.
   */
  watchTimeoutMs?: number;
  /** List page size (default 500). */
  pageSize?: number;
  /** Restart backoff (default 800 ms → 30 s ×2, jitter 1.0, reset after 120 s). */
  backoff?: Partial<BackoffOptions>;
  /** Registry for the loopscope_watch_* series (default the shared one; false for none). */
  registry?: Registry | false;
  now?: () => number;
}

export const KUBERNETES_SOURCE_DEFAULTS = {
  resyncMs: 10 * 60_000,
  stallAfterMs: 5 * 60_000,
  pageSize: 500,
} as const;

/**
 * Object events from a real cluster: one client-node informer per watched kind, kept
 * alive through errors and silent stalls (see KindWatcher), feeding the sink with
 * `{controller: kind, type, key}`. Read-only: it only ever lists and watches.
 */
export class KubernetesSource implements EventSource {
  readonly kind = "kubernetes" as const;
  private readonly kinds: WatchedKind[];
  private watchers: KindWatcher[] = [];
  private untrack: (() => void) | undefined;

  constructor(private readonly options: KubernetesSourceOptions) {
    const kinds = options.kinds ?? DEFAULT_WATCH_KINDS;
    this.kinds = typeof kinds === "string" ? parseWatchKinds(kinds) : [...kinds];
  }

  /** The watched kinds' names ("pods", …), which are also the controller names of their events. */
  watchedKinds(): string[] {
    return this.kinds.map((kind) => kind.name);
  }

  async start(sink: ObjectEventSink): Promise<void> {
    if (this.watchers.length > 0) throw new Error("The Kubernetes source is already started; stop it first.");
    const metrics = this.options.registry === false ? undefined : watchMetrics(this.options.registry ?? metricsRegistry());
    this.watchers = this.kinds.map(
      (kind) =>
        new KindWatcher({
          kubeConfig: this.options.kubeConfig,
          kind,
          namespace: this.options.namespace,
          emit: sink,
          resyncMs: this.options.resyncMs ?? KUBERNETES_SOURCE_DEFAULTS.resyncMs,
          stallAfterMs: this.options.stallAfterMs ?? KUBERNETES_SOURCE_DEFAULTS.stallAfterMs,
          watchTimeoutMs: this.options.watchTimeoutMs,
          pageSize: this.options.pageSize ?? KUBERNETES_SOURCE_DEFAULTS.pageSize,
          backoff: this.options.backoff,
          now: this.options.now,
          onRestart: (name, cause) => metrics?.countRestart(name, cause),
        }),
    );
    this.untrack = metrics?.track(() => this.watches());
    for (const watcher of this.watchers) watcher.start();
    const cluster = this.options.kubeConfig.getCurrentCluster();
    log.info({ server: cluster?.server, kinds: this.watchedKinds(), namespace: this.options.namespace }, "watching the Kubernetes API");
  }

  async stop(): Promise<void> {
    const watchers = this.watchers;
    this.watchers = [];
    await Promise.all(watchers.map((watcher) => watcher.stop()));
    this.untrack?.();
    this.untrack = undefined;
  }

  watches(): KubernetesWatchHealth[] {
    return this.watchers.map((watcher) => watcher.health());
  }

  /** Resolves once every kind's first list is cached; rejects if the signal aborts first. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    const all = Promise.all(this.watchers.map((watcher) => watcher.synced()));
    if (!signal) {
      await all;
      return;
    }
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      all.then(
        () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      );
    });
  }

  /** The cached object of a kind ("pods") by key ("namespace/name"), or undefined. */
  get(kind: string, key: string): KubeObject | undefined {
    return this.watcher(kind)?.get(key);
  }

  /** Every cached object of a kind. */
  list(kind: string): KubeObject[] {
    return this.watcher(kind)?.list() ?? [];
  }

  /** A cache lookup for one kind, the shape a reconciler takes. */
  lookup(kind: string): (key: string) => KubeObject | undefined {
    return (key) => this.get(kind, key);
  }

  private watcher(kind: string): KindWatcher | undefined {
    return this.watchers.find((watcher) => watcher.name === kind);
  }
}
