/**
 * The informer cache of one kind, keyed by namespace/name. It outlives informer
 * restarts, so a restart's re-list is compared with what was already known: objects
 * at the same resourceVersion cause no event (no "update flood" on reconnect), objects
 * that vanished while the watch was down become deletes.
 */

/** The part of a Kubernetes object the cache relies on; everything else is carried as is. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
  };
}

/** True when the value has the shape of a Kubernetes object (a metadata.name string). */
export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null) return false;
  const metadata = (value as { metadata?: unknown }).metadata;
  if (typeof metadata !== "object" || metadata === null) return false;
  const { name, namespace } = metadata as { name?: unknown; namespace?: unknown };
  return typeof name === "string" && name !== "" && (namespace === undefined || namespace === null || typeof namespace === "string");
}

/** "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

export type StoreChange = "added" | "updated";

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();

  /** Stores the object; says whether it is new or changed, or undefined when this resourceVersion is already known. */
  upsert(object: KubeObject): StoreChange | undefined {
    const key = objectKey(object);
    const known = this.objects.get(key);
    this.objects.set(key, object);
    if (!known) return "added";
    const version = object.metadata.resourceVersion;
    if (version !== undefined && version !== "" && version === known.metadata.resourceVersion) return undefined;
    return "updated";
  }

  /** Removes the object; returns the last known state, or undefined when it was not known. */
  remove(object: KubeObject): KubeObject | undefined {
    const key = objectKey(object);
    const known = this.objects.get(key);
    if (known) this.objects.delete(key);
    return known;
  }

  /** Removes and returns every object that is not in a fresh, complete list. */
  removeAbsent(listed: readonly KubeObject[]): KubeObject[] {
    const present = new Set(listed.map(objectKey));
    const gone: KubeObject[] = [];
    for (const [key, object] of this.objects) {
      if (!present.has(key)) {
        this.objects.delete(key);
        gone.push(object);
      }
    }
    return gone;
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  values(): IterableIterator<KubeObject> {
    return this.objects.values();
  }

  get size(): number {
    return this.objects.size;
  }
}
