import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { LeaseConflictError, type LeaseLock, type LeaseRecord, type VersionedLease } from "./lease-record";

/** A time field as client-node hands it back: a Date, or (for MicroTime) the raw RFC 3339 string. */
function epochMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : 0;
  }
  return 0;
}

function toVersioned(lease: V1Lease): VersionedLease {
  const spec = lease.spec ?? {};
  return {
    version: lease.metadata?.resourceVersion ?? "",
    record: {
      holderIdentity: spec.holderIdentity ?? "",
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: epochMs(spec.acquireTime),
      renewTime: epochMs(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

function statusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * A {@link LeaseLock} on a `coordination.k8s.io/v1` Lease through client-node's
 * CoordinationV1Api: read, create, and replace carrying the resourceVersion last read,
 * so the API server refuses (409) a write on top of a lease someone else changed.
 * Needs get, create and update on leases in the namespace.
 */
export class KubernetesLeaseLock implements LeaseLock {
  readonly description: string;
  private readonly api: CoordinationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.description = `${namespace}/${name}`;
  }

  async get(): Promise<VersionedLease | undefined> {
    try {
      return toVersioned(await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace }));
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw this.describe("read", error);
    }
  }

  async create(record: LeaseRecord): Promise<VersionedLease> {
    try {
      return toVersioned(await this.api.createNamespacedLease({ namespace: this.namespace, body: this.body(record) }));
    } catch (error) {
      throw this.describe("create", error);
    }
  }

  async update(record: LeaseRecord, version: string): Promise<VersionedLease> {
    try {
      return toVersioned(await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: this.body(record, version) }));
    } catch (error) {
      throw this.describe("update", error);
    }
  }

  private body(record: LeaseRecord, resourceVersion?: string): V1Lease {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.name, namespace: this.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        acquireTime: new V1MicroTime(record.acquireTime),
        renewTime: new V1MicroTime(record.renewTime),
        leaseTransitions: record.leaseTransitions,
      },
    };
  }

  /** A short error without the response body; 409 becomes a LeaseConflictError. */
  private describe(verb: string, error: unknown): Error {
    const code = statusCode(error);
    if (code === 409) return new LeaseConflictError(`${verb} lease ${this.description}: 409 Conflict`);
    const detail = code !== undefined ? `HTTP ${code}` : error instanceof Error ? error.message : String(error);
    return new Error(`cannot ${verb} lease ${this.description}: ${detail}`);
  }
}
