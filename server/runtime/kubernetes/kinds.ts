/**
 * The Kubernetes resource kinds Loopscope can watch, by the plural name a user writes
 * in `LOOPSCOPE_WATCH_KINDS`, and the API path that lists and watches each of them.
 */
export interface WatchedKind {
  /** Plural resource name; also the controller name of its events ("pods"). */
  name: string;
  /** The object kind ("Pod"). */
  kind: string;
  /** API group ("" for the core group). */
  group: string;
  version: string;
  namespaced: boolean;
}

const KINDS: readonly WatchedKind[] = [
  { name: "pods", kind: "Pod", group: "", version: "v1", namespaced: true },
  { name: "deployments", kind: "Deployment", group: "apps", version: "v1", namespaced: true },
  { name: "nodes", kind: "Node", group: "", version: "v1", namespaced: false },
  { name: "replicasets", kind: "ReplicaSet", group: "apps", version: "v1", namespaced: true },
  { name: "statefulsets", kind: "StatefulSet", group: "apps", version: "v1", namespaced: true },
  { name: "daemonsets", kind: "DaemonSet", group: "apps", version: "v1", namespaced: true },
  { name: "jobs", kind: "Job", group: "batch", version: "v1", namespaced: true },
  { name: "services", kind: "Service", group: "", version: "v1", namespaced: true },
  { name: "namespaces", kind: "Namespace", group: "", version: "v1", namespaced: false },
];

/** kubectl's short names and singular forms, so "po,deploy,no" works as well. */
const ALIASES: Record<string, string> = {
  po: "pods",
  pod: "pods",
  deploy: "deployments",
  deployment: "deployments",
  no: "nodes",
  node: "nodes",
  rs: "replicasets",
  replicaset: "replicasets",
  sts: "statefulsets",
  statefulset: "statefulsets",
  ds: "daemonsets",
  daemonset: "daemonsets",
  job: "jobs",
  svc: "services",
  service: "services",
  ns: "namespaces",
  namespace: "namespaces",
};

export const DEFAULT_WATCH_KINDS = "pods,deployments,nodes";

export class UnknownKindError extends Error {
  constructor(readonly requested: string) {
    super(`Unknown kind "${requested}" to watch; use a comma list of: ${KINDS.map((k) => k.name).join(", ")}.`);
    this.name = "UnknownKindError";
  }
}

/** Every kind this runtime knows how to watch. */
export function knownKinds(): readonly WatchedKind[] {
  return KINDS;
}

/** The kind for a plural, singular or short name (case-insensitive). Throws UnknownKindError. */
export function watchedKind(name: string): WatchedKind {
  const normalised = name.trim().toLowerCase();
  const plural = ALIASES[normalised] ?? normalised;
  const found = KINDS.find((k) => k.name === plural);
  if (!found) throw new UnknownKindError(name);
  return found;
}

/** Parses "pods,deployments,nodes" (duplicates and blanks ignored). Throws UnknownKindError. */
export function parseWatchKinds(list: string = DEFAULT_WATCH_KINDS): WatchedKind[] {
  const kinds: WatchedKind[] = [];
  for (const part of list.split(",")) {
    if (part.trim() === "") continue;
    const kind = watchedKind(part);
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  if (kinds.length === 0) throw new UnknownKindError(list);
  return kinds;
}

/**
 * The collection path that lists and watches a kind: across all namespaces unless a
 * namespace is given (cluster-scoped kinds ignore it).
 */
export function collectionPath(kind: WatchedKind, namespace?: string): string {
  const prefix = kind.group === "" ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  if (kind.namespaced && namespace) return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${kind.name}`;
  return `${prefix}/${kind.name}`;
}
