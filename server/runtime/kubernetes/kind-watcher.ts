import { setTimeout as sleep } from "node:timers/promises";
import { type KubeConfig, ListWatch } from "@kubernetes/client-node";
import { log } from "../../log";
import type { ObjectEvent, WatchHealth } from "../source";
import { type BackoffOptions, WatchBackoff } from "./backoff";
import { collectionPath, type WatchedKind } from "./kinds";
import { listObjects } from "./list";
import { isKubeObject, type KubeObject, ObjectStore, objectKey } from "./object-store";
import { GuardedWatch } from "./watch-stream";

/** Why a watch was restarted. */
export type RestartCause = "error" | "stall";

/** WatchHealth plus what the Kubernetes source knows beyond the shared contract. */
export interface KubernetesWatchHealth extends WatchHealth {
  /** The first complete list has been cached. */
  synced: boolean;
  /** Stalls detected so far (each one also counts as a restart). */
  stalls: number;
  /** The last resourceVersion the informer saw. */
  resourceVersion: string;
  /** When a restart waiting out its backoff is due, else null. */
  nextRestartAt: number | null;
}

export interface KindWatcherOptions {
  kubeConfig: KubeConfig;
  kind: WatchedKind;
  /** Watch one namespace only (namespaced kinds); default all namespaces. */
  namespace?: string;
  emit: (event: ObjectEvent) => void;
  /** Re-emit every cached object as "resync" this often; 0 turns it off. */
  resyncMs: number;
  /** Restart the informer after this long without a watch event or a successful connection; 0 turns it off. */
  stallAfterMs: number;
  /** client-node's watch inactivity timeout (its default is 30 s). */
  watchTimeoutMs?: number;
  pageSize: number;
  backoff?: Partial<BackoffOptions>;
  now?: () => number;
  onRestart?: (kind: string, cause: RestartCause, reason: string) => void;
}

/** One run of a client-node informer; a restart replaces it with a fresh one. */
interface Attempt {
  informer: ListWatch<KubeObject>;
  watch: GuardedWatch;
  abort: AbortController;
  startedAt: number;
}

function versionOf(object: unknown): string | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const metadata = (object as { metadata?: { resourceVersion?: unknown } }).metadata;
  return typeof metadata?.resourceVersion === "string" ? metadata.resourceVersion : undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${typeof status === "number" ? `HTTP ${status} ` : ""}${error.message}${cause}`;
  }
  return String(error);
}

/**
 * Lists and watches one kind through a client-node informer and keeps it running:
 * the informer stops for good on any error other than 410 Gone, so an error restarts
 * it after an exponential backoff (800 ms → 30 s with jitter, back to the start after
 * 120 s without a failure);
 * and since a watch can also go quiet without any error, a watch with neither an event
 * nor a successful connection for `stallAfterMs` is declared stalled and restarted the
 * same way. Object events reach `emit` once per real change, across restarts.
 */
export class KindWatcher {
  readonly path: string;
  private readonly store = new ObjectStore();
  private readonly backoff: WatchBackoff;
  private readonly now: () => number;
  private attempt: Attempt | undefined;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private progressAt = 0;
  private resolveSynced: (() => void) | undefined;
  private readonly syncedPromise: Promise<void>;
  private readonly state = {
    connected: false,
    lastEventAt: null as number | null,
    lastConnectAt: null as number | null,
    restarts: 0,
    lastError: null as string | null,
    stalled: false,
    synced: false,
    stalls: 0,
    resourceVersion: "",
    nextRestartAt: null as number | null,
  };

  constructor(private readonly options: KindWatcherOptions) {
    this.path = collectionPath(options.kind, options.namespace);
    this.backoff = new WatchBackoff(options.backoff);
    this.now = options.now ?? Date.now;
    this.syncedPromise = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
  }

  get name(): string {
    return this.options.kind.name;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.launch();
    const { stallAfterMs, resyncMs } = this.options;
    if (stallAfterMs > 0) {
      const every = Math.max(10, Math.min(Math.floor(stallAfterMs / 4), 10_000));
      this.stallTimer = setInterval(() => this.checkStall(), every);
    }
    if (resyncMs > 0) this.resyncTimer = setInterval(() => this.resync(), resyncMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    clearInterval(this.stallTimer);
    clearInterval(this.resyncTimer);
    this.restartTimer = this.stallTimer = this.resyncTimer = undefined;
    this.state.nextRestartAt = null;
    this.state.connected = false;
    if (this.attempt) await this.retire(this.attempt);
    this.attempt = undefined;
  }

  /** Resolves once the first complete list is cached. */
  synced(): Promise<void> {
    return this.syncedPromise;
  }

  get(key: string): KubeObject | undefined {
    return this.store.get(key);
  }

  list(): KubeObject[] {
    return [...this.store.values()];
  }

  health(): KubernetesWatchHealth {
    return { kind: this.options.kind.name, path: this.path, objects: this.store.size, ...this.state };
  }

  private launch(): void {
    const abort = new AbortController();
    const watch = new GuardedWatch(
      this.options.kubeConfig,
      {
        onEvent: (_type, object) => this.progress(attempt, "event", versionOf(object)),
        onConnected: () => {
          if (!this.isCurrent(attempt)) return;
          this.state.connected = true;
          this.progress(attempt, "connect");
        },
        onDisconnected: () => {
          if (this.isCurrent(attempt)) this.state.connected = false;
        },
      },
      this.options.watchTimeoutMs,
    );
    const informer = new ListWatch<KubeObject>(
      this.path,
      watch,
      () => this.listFor(attempt),
      false,
      undefined,
      undefined,
      // The informer's own pause between re-watches, cut short when the attempt is retired.
      { delayFn: (ms) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined) },
    );
    const attempt: Attempt = { informer, watch, abort, startedAt: this.now() };
    informer.on("add", (object) => this.onUpsert(attempt, object));
    informer.on("update", (object) => this.onUpsert(attempt, object));
    informer.on("delete", (object) => this.onDelete(attempt, object));
    informer.on("error", (error) => this.onError(attempt, error));
    this.attempt = attempt;
    informer.start().catch((error: unknown) => this.onError(attempt, error));
  }

  private isCurrent(attempt: Attempt): boolean {
    return this.running && this.attempt === attempt;
  }

  private async listFor(attempt: Attempt) {
    const list = await listObjects(this.options.kubeConfig, this.path, {
      pageSize: this.options.pageSize,
      signal: attempt.abort.signal,
    });
    if (!this.isCurrent(attempt)) throw new Error("superseded by a newer informer attempt");
    // The cache is brought up to date here, not from the informer's add callbacks that
    // follow (they find every object at its current resourceVersion and stay silent),
    // so the cache is complete when the list is, and a restart's re-list is a diff.
    for (const gone of this.store.removeAbsent(list.items)) this.emit("deleted", gone);
    for (const object of list.items) {
      const change = this.store.upsert(object);
      if (change) this.emit(change, object);
    }
    this.progress(attempt, "list", list.metadata.resourceVersion);
    if (!this.state.synced) {
      this.state.synced = true;
      this.resolveSynced?.();
    }
    return list;
  }

  private progress(attempt: Attempt, what: "event" | "connect" | "list", resourceVersion?: string): void {
    if (!this.isCurrent(attempt)) return;
    const now = this.now();
    this.progressAt = now;
    if (what === "event") this.state.lastEventAt = now;
    if (what === "connect") this.state.lastConnectAt = now;
    this.state.stalled = false;
    if (resourceVersion) this.state.resourceVersion = resourceVersion;
  }

  private onUpsert(attempt: Attempt, object: unknown): void {
    if (!this.isCurrent(attempt) || !isKubeObject(object)) return;
    const change = this.store.upsert(object);
    if (change) this.emit(change, object);
  }

  private onDelete(attempt: Attempt, object: unknown): void {
    if (!this.isCurrent(attempt) || !isKubeObject(object)) return;
    const known = this.store.remove(object);
    if (known) this.emit("deleted", object);
  }

  private onError(attempt: Attempt, error: unknown): void {
    if (!this.isCurrent(attempt)) return;
    const reason = describeError(error);
    this.state.connected = false;
    this.state.lastError = reason;
    log.warn({ kind: this.name, path: this.path, reason }, "watch stopped with an error; restarting after backoff");
    void this.retire(attempt);
    this.scheduleRestart("error", reason);
  }

  private checkStall(): void {
    const attempt = this.attempt;
    if (!attempt || !this.isCurrent(attempt)) return;
    const idleMs = this.now() - Math.max(this.progressAt, attempt.startedAt);
    if (idleMs < this.options.stallAfterMs) return;
    const reason = `watch stalled: no event and no connection for ${idleMs} ms`;
    this.state.stalled = true;
    this.state.stalls += 1;
    this.state.connected = false;
    this.state.lastError = reason;
    log.warn({ kind: this.name, path: this.path, idleMs }, "watch stalled; restarting the informer");
    void this.retire(attempt);
    this.scheduleRestart("stall", reason);
  }

  private scheduleRestart(cause: RestartCause, reason: string): void {
    this.attempt = undefined;
    const delayMs = this.backoff.next(this.now());
    this.state.nextRestartAt = this.now() + delayMs;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.state.nextRestartAt = null;
      if (!this.running) return;
      this.state.restarts += 1;
      this.options.onRestart?.(this.name, cause, reason);
      this.launch();
    }, delayMs);
  }

  private async retire(attempt: Attempt): Promise<void> {
    attempt.watch.retire();
    attempt.abort.abort();
    await attempt.informer.stop();
  }

  private resync(): void {
    if (!this.running || !this.state.synced) return;
    for (const object of this.store.values()) this.emit("resync", object);
  }

  private emit(type: ObjectEvent["type"], object: KubeObject): void {
    try {
      this.options.emit({ controller: this.name, type, key: objectKey(object), object });
    } catch (error) {
      log.error({ kind: this.name, err: error }, "the event sink threw; the event is dropped");
    }
  }
}
