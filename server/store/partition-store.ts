import type pg from "pg";
import { boundLiteral, dayOfPartitionName, dayPartition } from "./day-partitions";

/** Advisory lock (one key) serialising partition creation and dropping across writers and replicas. */
const PARTITION_LOCK_SQL = "SELECT pg_advisory_xact_lock(19522, 1)";

/**
 * How `samples` is stored: "partitioned" (Loopscope's declarative day partitions, which
 * it creates ahead and drops for retention) or "plain" (one table: a database migrated
 * elsewhere, e.g. a TimescaleDB hypertable or a table Citus or pg_partman manages;
 * retention then deletes rows in batches).
 */
export type SamplesLayout = "partitioned" | "plain";

export async function samplesLayout(db: pg.ClientBase | pg.Pool): Promise<SamplesLayout> {
  const { rows } = await db.query<{ partitioned: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'samples'::regclass) AS partitioned",
  );
  return rows[0]?.partitioned ? "partitioned" : "plain";
}

async function childNames(db: pg.ClientBase | pg.Pool, parent: "samples" | "samples_1m" | "samples_5m"): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass",
    [parent],
  );
  return rows.map((r) => r.name);
}

/** The days (UTC midnights, ascending) that have a `samples` partition made by Loopscope. */
export async function dayPartitions(db: pg.ClientBase | pg.Pool): Promise<number[]> {
  return (await childNames(db, "samples"))
    .flatMap((name) => {
      const day = dayOfPartitionName(name);
      return day === undefined ? [] : [day];
    })
    .sort((a, b) => a - b);
}

async function withClient<T>(db: pg.ClientBase | pg.Pool, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (!("totalCount" in db)) return work(db);
  const client = await db.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await work();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * Makes sure the given days have their `samples`, `samples_1m` and `samples_5m` partitions; returns how
 * many `samples` partitions were created. Each is made as a table of its own and then attached, which
 * takes only a SHARE UPDATE EXCLUSIVE lock on the parent, so reads and writes go on
 * meanwhile (CREATE TABLE … PARTITION OF would block them). `db` must not be inside a
 * transaction (a pool, or a client between transactions).
 */
export async function ensureDayPartitions(db: pg.ClientBase | pg.Pool, days: readonly number[]): Promise<number> {
  if (days.length === 0) return 0;
  return withClient(db, (client) =>
    inTransaction(client, async () => {
      await client.query(PARTITION_LOCK_SQL);
      const existing = new Set(await childNames(client, "samples"));
      const existingRollup = new Set([...(await childNames(client, "samples_1m")), ...(await childNames(client, "samples_5m"))]);
      let created = 0;
      for (const day of days) {
        const p = dayPartition(day);
        if (!existing.has(p.samples.name)) {
          await client.query(`CREATE TABLE "${p.samples.name}" (LIKE samples INCLUDING DEFAULTS)`);
          await client.query(
            `ALTER TABLE samples ATTACH PARTITION "${p.samples.name}" FOR VALUES FROM ('${boundLiteral(p.samples.from)}') TO ('${boundLiteral(p.samples.to)}')`,
          );
          existing.add(p.samples.name);
          created += 1;
        }
        for (const [parent, part] of [["samples_1m", p.rollup], ["samples_5m", p.rollup5m]] as const) {
          if (existingRollup.has(part.name)) continue;
          await client.query(`CREATE TABLE "${part.name}" (LIKE ${parent} INCLUDING DEFAULTS)`);
          await client.query(`ALTER TABLE ${parent} ATTACH PARTITION "${part.name}" FOR VALUES FROM ('${boundLiteral(part.from)}') TO ('${boundLiteral(part.to)}')`);
          existingRollup.add(part.name);
        }
      }
      return created;
    }),
  );
}

export interface DroppedDay {
  day: number;
  /** The planner's row estimate of the dropped samples partition (exact after ANALYZE or autovacuum). */
  estimatedSamples: number;
}

/**
 * Drops one day's `samples`, `samples_1m` and `samples_5m` partitions together (so the
 * rollups keep matching the samples). Waits at most `lockTimeoutMs` for the parent's lock (a long
 * query holds it): on timeout it throws and the day is dropped on a later run.
 */
export async function dropDayPartition(db: pg.ClientBase | pg.Pool, day: number, lockTimeoutMs = 2_000): Promise<DroppedDay> {
  const p = dayPartition(day);
  return withClient(db, (client) =>
    inTransaction(client, async () => {
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(lockTimeoutMs))}`);
      await client.query(PARTITION_LOCK_SQL);
      const { rows } = await client.query<{ est: string | null }>(
        "SELECT greatest(reltuples, 0)::bigint AS est FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace",
        [p.samples.name],
      );
      await client.query(`DROP TABLE IF EXISTS "${p.samples.name}", "${p.rollup.name}", "${p.rollup5m.name}"`);
      return { day, estimatedSamples: Number(rows[0]?.est ?? 0) };
    }),
  );
}
