/** One key waiting in a {@link DelayHeap}. */
export interface DelayedEntry<K, R> {
  key: K;
  readyAt: number;
  reason: R | undefined;
  index: number;
  /** When the entry got its current readyAt; breaks ties so equal deadlines come out first-scheduled first. */
  seq: number;
}

function before<K, R>(a: DelayedEntry<K, R>, b: DelayedEntry<K, R>): boolean {
  return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
}

/**
 * A min-heap of keys ordered by the time they become ready, holding each key at most
 * once. Scheduling a key that is already waiting keeps the EARLIER ready time (and the
 * reason that came with it), as client-go's waiting heap and kube-rs's scheduler do.
 * Keys with equal ready times come out in the order they were given that time.
 */
export class DelayHeap<K, R = undefined> {
  private readonly heap: DelayedEntry<K, R>[] = [];
  private readonly byKey = new Map<K, DelayedEntry<K, R>>();
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  has(key: K): boolean {
    return this.byKey.has(key);
  }

  /** The ready time of `key`, if it is waiting. */
  readyAt(key: K): number | undefined {
    return this.byKey.get(key)?.readyAt;
  }

  /** The entry that becomes ready first. */
  peek(): DelayedEntry<K, R> | undefined {
    return this.heap[0];
  }

  /**
   * Schedules `key` at `readyAt`. Returns true when this changed the heap (a new key
   * or an earlier time for a waiting key).
   */
  schedule(key: K, readyAt: number, reason: R | undefined): boolean {
    const existing = this.byKey.get(key);
    if (existing) {
      if (readyAt >= existing.readyAt) return false;
      existing.readyAt = readyAt;
      existing.reason = reason;
      existing.seq = this.seq++;
      this.up(existing.index);
      return true;
    }
    const entry: DelayedEntry<K, R> = { key, readyAt, reason, index: this.heap.length, seq: this.seq++ };
    this.heap.push(entry);
    this.byKey.set(key, entry);
    this.up(entry.index);
    return true;
  }

  /** Removes and returns the first entry whose readyAt ≤ `now`. */
  popReady(now: number): DelayedEntry<K, R> | undefined {
    const first = this.heap[0];
    if (!first || first.readyAt > now) return undefined;
    const last = this.heap.pop()!;
    if (last !== first) {
      this.heap[0] = last;
      last.index = 0;
      this.down(0);
    }
    this.byKey.delete(first.key);
    return first;
  }

  clear(): void {
    this.heap.length = 0;
    this.byKey.clear();
  }

  /** Waiting entries in heap order (not sorted). */
  entries(): readonly DelayedEntry<K, R>[] {
    return this.heap;
  }

  private up(index: number): void {
    const heap = this.heap;
    const entry = heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (!before(entry, parent)) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }

  private down(index: number): void {
    const heap = this.heap;
    const entry = heap[index];
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && before(heap[right], heap[left]) ? right : left;
      if (!before(heap[child], entry)) break;
      heap[index] = heap[child];
      heap[index].index = index;
      index = child;
    }
    heap[index] = entry;
    entry.index = index;
  }
}
