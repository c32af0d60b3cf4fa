import { type KubeConfig, Watch } from "@kubernetes/client-node";
import { log } from "../../log";

/** What a watch stream reports about itself, beyond the objects it delivers. */
export interface WatchStreamObserver {
  /** Any watch event arrived (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), with its object. */
  onEvent(type: string, object: unknown): void;
  /** The API server answered a watch request with 200 and the stream is open. */
  onConnected(): void;
  /** The stream ended, cleanly (null) or with an error. */
  onDisconnected(error: unknown): void;
}

let warnedTimeout = false;

/**
 * client-node's Watch for one informer attempt, with two guarantees the plain Watch
 * lacks: once `retire()` is called, nothing from this attempt reaches the informer
 * again (no late "done" of an aborted request, which client-node reports as an
 * error, and no new request from an informer that was stopped while it was listing or
 * waiting to reconnect); and it tells an observer about connections and events, which
 * the informer does not (a BOOKMARK or a successful reconnect fires no callback).
 */
export class GuardedWatch extends Watch {
  private retired = false;
  private current: AbortController | undefined;

  constructor(
    config: KubeConfig,
    private readonly observer: WatchStreamObserver,
    inactivityTimeoutMs?: number,
  ) {
    super(config);
    if (inactivityTimeoutMs !== undefined) {
      // client-node 2.x keeps a private 30 s inactivity timeout (reconnect after 30 s
      // without a byte). It has no setter, so it is set on the instance when present.
      if (typeof Reflect.get(this, "requestTimeoutMs") === "number") {
        Reflect.set(this, "requestTimeoutMs", inactivityTimeoutMs);
      } else if (!warnedTimeout) {
        warnedTimeout = true;
        log.warn("This @kubernetes/client-node has no watch inactivity timeout to set; the configured one is ignored");
      }
    }
  }

  /** Silences this attempt for good and closes its open stream. */
  retire(): void {
    this.retired = true;
    this.current?.abort();
    this.current = undefined;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    // A retired informer that still tries to watch gets a request that never started.
    if (this.retired) return new AbortController();
    let ended = false;
    const controller = await super.watch(
      path,
      queryParams,
      (phase, apiObj, watchObj) => {
        if (this.retired) return;
        this.observer.onEvent(phase, apiObj);
        callback(phase, apiObj, watchObj);
      },
      (err) => {
        ended = true;
        if (this.retired) return;
        this.observer.onDisconnected(err ?? null);
        done(err);
      },
    );
    if (this.retired) {
      // Retired while the request was in flight: close the stream it opened.
      controller.abort();
    } else {
      this.current = controller;
      if (!ended) this.observer.onConnected();
    }
    return controller;
  }
}
