import type { ObjectEvent } from "../runtime";
import type { SeededRandom } from "./random";

/** A simulated Kubernetes object, shaped like the real thing where the demo reads it. */
export interface DemoObject {
  apiVersion: string;
  kind: string;
  metadata: { namespace: string; name: string; uid: string; resourceVersion: string; generation: number; labels: Record<string, string> };
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

/** A demo controller's kind of object. */
export interface DemoKind {
  controller: string;
  kind: string;
  apiVersion: string;
  /** The list/watch path the UI shows for this watch. */
  path: string;
}

export const DEMO_KINDS: readonly DemoKind[] = [
  { controller: "pods", kind: "Pod", apiVersion: "v1", path: "/api/v1/pods" },
  { controller: "deployments", kind: "Deployment", apiVersion: "apps/v1", path: "/apis/apps/v1/deployments" },
  { controller: "configmaps", kind: "ConfigMap", apiVersion: "v1", path: "/api/v1/configmaps" },
];

const NAMESPACES = ["default", "payments", "checkout", "search", "monitoring", "kube-system"];
const APPS = ["api", "web", "worker", "cart", "ledger", "indexer", "gateway", "auth", "notifier", "scheduler"];

/**
 * The demo cluster's objects: deployments with their pods and some config maps, all
 * changed through methods that return the watch events a real API server would send.
 */
export class DemoInventory {
  private readonly byController = new Map<string, Map<string, DemoObject>>();
  private resourceVersion = 1000;

  constructor(
    private readonly random: SeededRandom,
    readonly kinds: readonly DemoKind[] = DEMO_KINDS,
  ) {
    for (const kind of kinds) this.byController.set(kind.controller, new Map());
  }

  /** Creates the starting objects and returns their "added" events (the initial list). */
  populate(deployments = 18, podsPerDeployment = 3, configMaps = 30): ObjectEvent[] {
    const events: ObjectEvent[] = [];
    for (let i = 0; i < deployments; i += 1) {
      const namespace = NAMESPACES[i % NAMESPACES.length];
      const app = `${APPS[i % APPS.length]}${i >= APPS.length ? `-${Math.floor(i / APPS.length) + 1}` : ""}`;
      events.push(this.put("deployments", namespace, app, { replicas: podsPerDeployment }, { availableReplicas: podsPerDeployment, readyReplicas: podsPerDeployment }));
      for (let p = 0; p < podsPerDeployment; p += 1) events.push(this.newPod(namespace, app));
    }
    for (let i = 0; i < configMaps; i += 1) {
      const namespace = NAMESPACES[i % NAMESPACES.length];
      events.push(this.put("configmaps", namespace, `${APPS[i % APPS.length]}-config-${this.random.suffix(5)}`, { data: { revision: "1" } }, {}));
    }
    return events;
  }

  objects(controller: string): Map<string, DemoObject> {
    return this.byController.get(controller) ?? new Map();
  }

  get(controller: string, key: string): DemoObject | undefined {
    return this.byController.get(controller)?.get(key);
  }

  count(controller: string): number {
    return this.byController.get(controller)?.size ?? 0;
  }

  /** A random existing key of a controller. */
  randomKey(controller: string, pick = this.random.next()): string | undefined {
    const keys = [...this.objects(controller).keys()].filter((key) => !key.startsWith("burst-"));
    return keys.length === 0 ? undefined : keys[Math.floor(pick * keys.length) % keys.length];
  }

  /** A pod changes status (phase, readiness, restarts). */
  podStatusChange(): ObjectEvent | undefined {
    const key = this.randomKey("pods");
    const pod = key ? this.get("pods", key) : undefined;
    if (!key || !pod) return undefined;
    const roll = this.random.next();
    const restarts = Number(pod.status.restartCount ?? 0);
    const status =
      roll < 0.08
        ? { phase: "Pending", ready: false, restartCount: restarts }
        : roll < 0.14
          ? { phase: "Running", ready: false, restartCount: restarts + 1, lastState: "CrashLoopBackOff" }
          : { phase: "Running", ready: true, restartCount: restarts };
    return this.update("pods", key, (object) => {
      object.status = status;
    });
  }

  /** A pod is replaced (deleted, and a new one with a new name added). */
  podReplacement(): ObjectEvent[] {
    const key = this.randomKey("pods");
    const pod = key ? this.get("pods", key) : undefined;
    if (!key || !pod) return [];
    const deleted = this.remove("pods", key);
    return [...(deleted ? [deleted] : []), this.newPod(pod.metadata.namespace, pod.metadata.labels.app ?? "app")];
  }

  /** A deployment's status or spec changes. */
  deploymentChange(): ObjectEvent | undefined {
    const key = this.randomKey("deployments");
    if (!key) return undefined;
    const scale = this.random.chance(0.2);
    return this.update("deployments", key, (object) => {
      const replicas = Number(object.spec.replicas ?? 3);
      if (scale) {
        object.metadata.generation += 1;
        object.spec.replicas = Math.max(1, replicas + (this.random.chance(0.5) ? 1 : -1));
      }
      const wanted = Number(object.spec.replicas);
      const available = this.random.chance(0.85) ? wanted : Math.max(0, wanted - 1);
      object.status = { availableReplicas: available, readyReplicas: available, unavailableReplicas: wanted - available };
    });
  }

  /** A config map's data changes. */
  configMapChange(): ObjectEvent | undefined {
    const key = this.randomKey("configmaps");
    if (!key) return undefined;
    return this.update("configmaps", key, (object) => {
      object.metadata.generation += 1;
      object.spec = { data: { revision: String(object.metadata.generation) } };
    });
  }

  /** Any change to a known object (used for hot keys and burst re-updates). */
  touch(controller: string, key: string): ObjectEvent | undefined {
    return this.update(controller, key, (object) => {
      object.status = { ...object.status, observedAt: this.resourceVersion };
    });
  }

  /** Resync events for every object of a controller (an informer's periodic resync). */
  resync(controller: string): ObjectEvent[] {
    return [...this.objects(controller)].map(([key, object]) => ({ controller, type: "resync", key, object }));
  }

  /** Many new objects at once (a Job fan-out, an operator creating children). */
  createMany(controller: string, namespace: string, count: number): ObjectEvent[] {
    const events: ObjectEvent[] = [];
    for (let i = 0; i < count; i += 1) events.push(this.put(controller, namespace, `job-${i}-${this.random.suffix(5)}`, {}, { phase: "Pending" }));
    return events;
  }

  /** Deletes every object of a controller in a namespace. */
  deleteNamespace(controller: string, namespace: string): ObjectEvent[] {
    const events: ObjectEvent[] = [];
    for (const key of [...this.objects(controller).keys()]) {
      if (!key.startsWith(`${namespace}/`)) continue;
      const event = this.remove(controller, key);
      if (event) events.push(event);
    }
    return events;
  }

  /** Keys of a controller in a namespace. */
  keysIn(controller: string, namespace: string): string[] {
    return [...this.objects(controller).keys()].filter((key) => key.startsWith(`${namespace}/`));
  }

  private newPod(namespace: string, app: string): ObjectEvent {
    return this.put("pods", namespace, `${app}-${this.random.suffix(9)}-${this.random.suffix(5)}`, { containers: [{ name: app }] }, { phase: "Running", ready: true, restartCount: 0 }, { app });
  }

  private put(controller: string, namespace: string, name: string, spec: Record<string, unknown>, status: Record<string, unknown>, labels: Record<string, string> = {}): ObjectEvent {
    const kind = this.kinds.find((k) => k.controller === controller) ?? { kind: controller, apiVersion: "v1" };
    const object: DemoObject = {
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      metadata: { namespace, name, uid: `${this.random.suffix(8)}-${this.random.suffix(4)}`, resourceVersion: this.nextVersion(), generation: 1, labels },
      spec,
      status,
    };
    const key = `${namespace}/${name}`;
    this.objects(controller).set(key, object);
    return { controller, type: "added", key, object };
  }

  private update(controller: string, key: string, change: (object: DemoObject) => void): ObjectEvent | undefined {
    const object = this.get(controller, key);
    if (!object) return undefined;
    change(object);
    object.metadata.resourceVersion = this.nextVersion();
    return { controller, type: "updated", key, object };
  }

  private remove(controller: string, key: string): ObjectEvent | undefined {
    const object = this.get(controller, key);
    if (!object) return undefined;
    this.objects(controller).delete(key);
    return { controller, type: "deleted", key, object };
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }
}
