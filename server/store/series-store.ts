import type pg from "pg";
import type { SeriesDescriptor } from "../recorder/sample";

const CHUNK = 5_000;

/**
 * Maps series identities (hash of source + metric + labels) to `series.id`. Known ids
 * come from an in-memory cache; unknown series are created in bulk with one
 * `INSERT … ON CONFLICT (hash) DO NOTHING RETURNING` per chunk, and the ones another
 * writer created first are read back, so concurrent recorders agree on every id.
 * A series row, once created, is never changed (the first type/help wins).
 */
export class SeriesStore {
  private readonly ids = new Map<string, number>();

  constructor(private readonly pool: pg.Pool) {}

  cachedId(hash: string): number | undefined {
    return this.ids.get(hash);
  }

  get cacheSize(): number {
    return this.ids.size;
  }

  /** Forgets one cached id (the series went idle); it is looked up again if it returns. */
  forget(hash: string): void {
    this.ids.delete(hash);
  }

  /** Forgets every cached id (e.g. after the database was replaced). */
  clearCache(): void {
    this.ids.clear();
  }

  /** Resolves (creating when needed) the id of every given series; returns hash → id. */
  async resolve(descriptors: Iterable<SeriesDescriptor>): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const missing = new Map<string, SeriesDescriptor>();
    for (const descriptor of descriptors) {
      if (result.has(descriptor.hash) || missing.has(descriptor.hash)) continue;
      const id = this.ids.get(descriptor.hash);
      if (id !== undefined) result.set(descriptor.hash, id);
      else missing.set(descriptor.hash, descriptor);
    }
    // Inserting in hash order makes concurrent resolvers take the unique-index locks in
    // the same order, so they wait for each other instead of deadlocking.
    const pending = [...missing.values()].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    for (let offset = 0; offset < pending.length; offset += CHUNK) {
      const chunk = pending.slice(offset, offset + CHUNK);
      for (const [hash, id] of await this.createChunkRetrying(chunk)) {
        this.ids.set(hash, id);
        result.set(hash, id);
      }
    }
    return result;
  }

  /** A deadlock (40P01) with another writer is retried a few times; the insert is idempotent. */
  private async createChunkRetrying(chunk: SeriesDescriptor[]): Promise<Map<string, number>> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.createChunk(chunk);
      } catch (error) {
        if ((error as { code?: string }).code !== "40P01" || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      }
    }
  }

  private async createChunk(chunk: SeriesDescriptor[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const inserted = await this.pool.query<{ hash: string; id: number }>(
      `INSERT INTO series (hash, metric, labels, type, help, source, target_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::text[], $7::int[])
       ON CONFLICT (hash) DO NOTHING
       RETURNING hash, id`,
      [
        chunk.map((d) => d.hash),
        chunk.map((d) => d.metric),
        chunk.map((d) => JSON.stringify(d.labels)),
        chunk.map((d) => d.type),
        chunk.map((d) => d.help),
        chunk.map((d) => d.source),
        chunk.map((d) => d.targetId),
      ],
    );
    for (const row of inserted.rows) found.set(row.hash, row.id);
    if (found.size < chunk.length) {
      const rest = chunk.filter((d) => !found.has(d.hash)).map((d) => d.hash);
      const existing = await this.pool.query<{ hash: string; id: number }>("SELECT hash, id FROM series WHERE hash = ANY($1::text[])", [rest]);
      for (const row of existing.rows) found.set(row.hash, row.id);
    }
    if (found.size < chunk.length) throw new Error(`could not resolve ${chunk.length - found.size} series ids`);
    return found;
  }
}
