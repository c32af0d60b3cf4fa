import type { PromLabels } from "./api";

/** The series a controller is discovered from (controller-runtime's and client-go's names). */
export const RECONCILE_METRIC = "controller_runtime_reconcile_total";
export const DEPTH_METRIC = "workqueue_depth";

/** A label equal to a value (a missing label equals ""). */
export interface EqMatcher {
  name: string;
  op: "=";
  value: string;
}

/** A controller whose metrics a Prometheus-compatible server holds. */
export interface PrometheusController {
  /** Unique among all listed controllers (local ones included): the page, key and label name. */
  name: string;
  /** The `controller` (reconcile metrics) / `name` (workqueue metrics) label value. */
  controller: string;
  /** The identity labels' values ("" where the series have none), e.g. {job, namespace}. */
  identity: Record<string, string>;
  /** Pods (or instances, without a pod label) exposing it, sorted; the leader and its standbys. */
  pods: string[];
  /** Selects its workqueue_* series. */
  queueMatchers: EqMatcher[];
  /** Selects its controller_runtime_* series. */
  controllerMatchers: EqMatcher[];
}

export interface DiscoveryOptions {
  /** Labels that, with the controller name, tell controllers apart (e.g. job, namespace). */
  identityLabels: readonly string[];
  /** Names already taken (Loopscope's own controllers): a controller by such a name is qualified. */
  reserved?: ReadonlySet<string>;
  /** Controllers listed at most (sorted by name first). */
  limit?: number;
}

const MAX_PODS = 50;

function eq(name: string, value: string): EqMatcher {
  return { name, op: "=", value };
}

/**
 * Controllers from series label sets: one per controller name and identity (by default job and
 * namespace), from `controller_runtime_reconcile_total{controller}` and
 * `workqueue_depth{name}` alike, so controller-runtime operators and plain client-go queues are
 * both found. Pods are replicas of one controller (only the leader reconciles), so they are
 * listed, not split. The name is the controller's own when it is unique, else qualified by its
 * identity, e.g. `pods (operator, team-a)` (job, namespace). Pure.
 */
export function discoverControllers(series: readonly PromLabels[], options: DiscoveryOptions): PrometheusController[] {
  const identityLabels = options.identityLabels.filter((l) => l !== "name" && l !== "controller" && l !== "__name__");
  const groups = new Map<string, { controller: string; identity: Record<string, string>; pods: Set<string> }>();
  for (const labels of series) {
    const metric = labels.__name__;
    const controller = metric === DEPTH_METRIC ? (labels.name ?? labels.controller) : metric === RECONCILE_METRIC ? labels.controller : undefined;
    if (!controller) continue;
    const identity = Object.fromEntries(identityLabels.map((l) => [l, labels[l] ?? ""]));
    const key = JSON.stringify([controller, ...identityLabels.map((l) => identity[l])]);
    let group = groups.get(key);
    if (!group) {
      group = { controller, identity, pods: new Set() };
      groups.set(key, group);
    }
    const pod = labels.pod ?? labels.instance;
    if (pod && group.pods.size < MAX_PODS) group.pods.add(pod);
  }
  const perName = new Map<string, number>();
  for (const g of groups.values()) perName.set(g.controller, (perName.get(g.controller) ?? 0) + 1);
  const reserved = options.reserved ?? new Set<string>();
  const taken = new Set<string>(reserved);
  const sorted = [...groups.values()].sort((a, b) => {
    const ka = JSON.stringify([a.controller, ...identityLabels.map((l) => a.identity[l])]);
    const kb = JSON.stringify([b.controller, ...identityLabels.map((l) => b.identity[l])]);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const out: PrometheusController[] = [];
  for (const g of sorted.slice(0, options.limit ?? 2_000)) {
    const qualifier = identityLabels.map((l) => g.identity[l]).filter((v) => v !== "");
    const unique = perName.get(g.controller) === 1 && !reserved.has(g.controller);
    let name = unique ? g.controller : `${g.controller} (${qualifier.length > 0 ? qualifier.join(", ") : "prometheus"})`;
    for (let n = 2; taken.has(name); n += 1) name = `${g.controller} (${[...qualifier, String(n)].join(", ")})`;
    taken.add(name);
    const identityMatchers = identityLabels.map((l) => eq(l, g.identity[l]));
    out.push({
      name,
      controller: g.controller,
      identity: g.identity,
      pods: [...g.pods].sort(),
      queueMatchers: [eq("name", g.controller), ...identityMatchers],
      controllerMatchers: [eq("controller", g.controller), ...identityMatchers],
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The key that ties an aggregated series (by identity labels and `label`) back to its controller. */
export function controllerKey(controller: string, labels: Readonly<Record<string, string>>, identityLabels: readonly string[]): string {
  return JSON.stringify([controller, ...identityLabels.filter((l) => l !== "name" && l !== "controller" && l !== "__name__").map((l) => labels[l] ?? "")]);
}
