/** A small map whose entries expire, bounded in size (oldest evicted first). Caches promises so concurrent asks share one computation. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { expires: number; value: Promise<V> }>();

  constructor(private readonly maxEntries = 200) {}

  get(key: string, ttlMs: number, compute: () => Promise<V>, now = Date.now()): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = compute();
    // A failed computation is not kept.
    value.catch(() => this.entries.delete(key));
    this.entries.delete(key);
    this.entries.set(key, { expires: now + ttlMs, value });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return value;
  }
}
