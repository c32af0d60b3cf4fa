import type { TrackedResource } from "./tracked-resource";

/** Controllers for which over-cap drops are counted separately; the rest share one bucket. */
const MAX_DROP_BUCKETS = 256;
export const UNATTRIBUTED = "(unattributed)";
const OTHER_CONTROLLERS = "(other)";

/**
 * The resources being tracked, bounded: never more than `capacity` entries, of which
 * at most `unattributedCapacity` were created outside any reconcile. A resource that
 * does not fit is not tracked and is counted as dropped (per controller), so memory
 * stays bounded however fast a reconcile leaks.
 */
export class ResourceTable {
  private readonly byId = new Map<number, TrackedResource>();
  private readonly byFd = new Map<number, TrackedResource>();
  private unattributedCount = 0;
  private droppedCount = 0;
  private readonly droppedBy = new Map<string, number>();

  constructor(
    readonly capacity: number,
    readonly unattributedCapacity: number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get unattributed(): number {
    return this.unattributedCount;
  }

  /** Resources refused for lack of room since the table was created. */
  get dropped(): number {
    return this.droppedCount;
  }

  droppedByController(): Map<string, number> {
    return new Map(this.droppedBy);
  }

  /** Whether a resource of this attribution would fit now. */
  hasRoom(attributed: boolean): boolean {
    if (this.byId.size >= this.capacity) return false;
    return attributed || this.unattributedCount < this.unattributedCapacity;
  }

  /** Counts a resource that was not tracked for lack of room. */
  countDrop(controller: string | undefined): void {
    this.droppedCount += 1;
    const bucket = controller ?? UNATTRIBUTED;
    const key = this.droppedBy.has(bucket) || this.droppedBy.size < MAX_DROP_BUCKETS ? bucket : OTHER_CONTROLLERS;
    this.droppedBy.set(key, (this.droppedBy.get(key) ?? 0) + 1);
  }

  /** Adds `resource` if there is room; otherwise counts the drop and returns false. */
  add(resource: TrackedResource): boolean {
    if (!this.hasRoom(resource.context !== undefined)) {
      this.countDrop(resource.context?.controller);
      return false;
    }
    this.byId.set(resource.id, resource);
    if (resource.context === undefined) this.unattributedCount += 1;
    if (resource.fd >= 0) {
      // A descriptor number is only reused after a close we did not see: the old entry is stale.
      const stale = this.byFd.get(resource.fd);
      if (stale) this.delete(stale.id);
      this.byFd.set(resource.fd, resource);
    }
    return true;
  }

  get(id: number): TrackedResource | undefined {
    return this.byId.get(id);
  }

  delete(id: number): void {
    const resource = this.byId.get(id);
    if (!resource) return;
    this.byId.delete(id);
    if (resource.context === undefined) this.unattributedCount -= 1;
    if (resource.fd >= 0 && this.byFd.get(resource.fd) === resource) this.byFd.delete(resource.fd);
  }

  /** Forgets the descriptor `fd` (it was closed). */
  deleteFd(fd: number): void {
    const resource = this.byFd.get(fd);
    if (resource) this.delete(resource.id);
  }

  values(): IterableIterator<TrackedResource> {
    return this.byId.values();
  }

  /** Removes every entry matching `predicate`. */
  deleteWhere(predicate: (resource: TrackedResource) => boolean): void {
    for (const resource of this.byId.values()) if (predicate(resource)) this.delete(resource.id);
  }

  clear(): void {
    this.byId.clear();
    this.byFd.clear();
    this.unattributedCount = 0;
  }
}
