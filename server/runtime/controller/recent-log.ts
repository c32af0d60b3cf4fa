/** The last `capacity` entries, oldest overwritten first. */
export class RecentLog<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("RecentLog needs a capacity of at least 1");
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  /** Newest first, at most `limit`. */
  newest(limit = this.capacity): T[] {
    const result: T[] = [];
    for (let i = 1; i <= Math.min(limit, this.count); i += 1) {
      result.push(this.items[(this.next - i + this.capacity) % this.capacity] as T);
    }
    return result;
  }
}
