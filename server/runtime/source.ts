/**
 * A source of object events for controllers (the Kubernetes API or the demo cluster).
 * A source turns object changes into reconcile requests; it never reconciles itself.
 */
export type ObjectEventType = "added" | "updated" | "deleted" | "resync";

export interface ObjectEvent {
  /** Controller this event is for, e.g. "pods". */
  controller: string;
  type: ObjectEventType;
  /** namespace/name (or name for cluster-scoped objects). */
  key: string;
  /** The object as last seen (undefined for a delete whose object is unknown). */
  object?: unknown;
}

export type ObjectEventSink = (event: ObjectEvent) => void;

/** The health of one watch (list + watch stream) as the UI shows it. */
export interface WatchHealth {
  kind: string;
  path: string;
  connected: boolean;
  lastEventAt: number | null;
  lastConnectAt: number | null;
  restarts: number;
  lastError: string | null;
  objects: number;
  stalled: boolean;
}

export interface EventSource {
  readonly kind: "kubernetes" | "demo";
  start(sink: ObjectEventSink): Promise<void>;
  stop(): Promise<void>;
  watches(): WatchHealth[];
}
