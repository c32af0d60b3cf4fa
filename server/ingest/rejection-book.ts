import type { Rejection, RejectionReason } from "./sample-limits";

/** What was refused from one source ("self" or "target:<id>"): counts by reason and the last one. */
export interface SourceRejections {
  source: string;
  total: number;
  byReason: Partial<Record<RejectionReason, number>>;
  lastMessage: string;
  lastAt: number;
}

/**
 * Counts the samples refused per source (never the samples themselves: memory stays
 * bounded by the number of sources, whatever a hostile exporter sends).
 */
export class RejectionBook {
  private readonly bySource = new Map<string, SourceRejections>();
  private totalCount = 0;

  constructor(private readonly maxSources = 10_000) {}

  add(source: string, rejection: Rejection, at: number, count = 1): void {
    let entry = this.bySource.get(source);
    if (!entry) {
      if (this.bySource.size >= this.maxSources) this.bySource.delete(this.bySource.keys().next().value as string);
      entry = { source, total: 0, byReason: {}, lastMessage: "", lastAt: 0 };
      this.bySource.set(source, entry);
    }
    entry.total += count;
    entry.byReason[rejection.reason] = (entry.byReason[rejection.reason] ?? 0) + count;
    entry.lastMessage = rejection.message;
    entry.lastAt = at;
    this.totalCount += count;
  }

  get total(): number {
    return this.totalCount;
  }

  of(source: string): SourceRejections | undefined {
    const entry = this.bySource.get(source);
    return entry && { ...entry, byReason: { ...entry.byReason } };
  }

  all(): SourceRejections[] {
    return [...this.bySource.values()].map((e) => ({ ...e, byReason: { ...e.byReason } }));
  }
}
