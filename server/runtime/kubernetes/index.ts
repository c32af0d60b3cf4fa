/** The Kubernetes event source and Loopscope's built-in cluster-health reconciler. */
export { type BackoffOptions, DEFAULT_BACKOFF, WatchBackoff } from "./backoff";
export { ClusterHealthReconciler, type ClusterHealthOptions, type HealthReconcile, type HealthReconcileRequest } from "./cluster-health";
export { type Finding, type FindingFilter, FindingsStore } from "./findings";
export { KindWatcher, type KindWatcherOptions, type KubernetesWatchHealth, type RestartCause } from "./kind-watcher";
export {
  collectionPath,
  DEFAULT_WATCH_KINDS,
  knownKinds,
  parseWatchKinds,
  UnknownKindError,
  type WatchedKind,
  watchedKind,
} from "./kinds";
export { KUBERNETES_SOURCE_DEFAULTS, KubernetesSource, type KubernetesSourceOptions } from "./kubernetes-source";
export { type DetectedCluster, detectKubeConfig, KubeConfigError, type KubeConfigOrigin } from "./kubeconfig";
export { ApiRequestError, listObjects, type ObjectList } from "./list";
export { type WatchMetrics, watchMetrics } from "./metrics";
export {
  DEFAULT_HEALTH_THRESHOLDS,
  evaluateDeployment,
  evaluateNode,
  evaluateObjectHealth,
  evaluatePod,
  type HealthEvaluation,
  type HealthThresholds,
  type ObjectFinding,
  type Severity,
} from "./object-health";
export { isKubeObject, type KubeObject, ObjectStore, objectKey } from "./object-store";
