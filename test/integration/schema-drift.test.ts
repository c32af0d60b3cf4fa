import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { diffSchemas, isEmptyDiff } from "../../server/store/schema-diff";
import { currentSchemaFiles, latestSnapshot } from "../../server/store/schema-files";
import { createTestDatabase, type TestDatabase } from "../support/db";

/**
 * Catalog facts Prisma's schema expresses: tables, columns, constraints, indexes. The
 * day partitions of `samples` and `samples_1m` are left out (partitioning is plain SQL
 * in the migrations, not something schema.prisma expresses), and a partitioned table's
 * index reads `ON ONLY` where a plain table's reads `ON`.
 */
async function catalog(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, datetime_precision
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
          AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)
        ORDER BY table_name, column_name`,
    );
    const constraints = await client.query(
      `SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS def
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
          AND conrelid NOT IN (SELECT oid FROM pg_class WHERE relispartition)
        ORDER BY 1, 2`,
    );
    const indexes = await client.query(
      `SELECT tablename, indexname, replace(indexdef, ' ON ONLY ', ' ON ') AS indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' AND tablename NOT IN (SELECT relname FROM pg_class WHERE relispartition) ORDER BY 1, 2`,
    );
    return { columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows as { tablename: string; indexname: string; indexdef: string }[] };
  } finally {
    await client.end();
  }
}

describe("schema drift", () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.drop()));
  });

  it("prisma/schema matches the schema stored with the latest migration (no un-migrated change)", async () => {
    const db = await createTestDatabase({ migrate: false });
    dbs.push(db);
    const previous = latestSnapshot();
    expect(previous, "prisma/migrations has no migration yet").toBeDefined();
    const sql = await diffSchemas({ tag: "schemaDatamodel", files: [previous!] }, { tag: "schemaDatamodel", files: currentSchemaFiles() }, db.url);
    expect(isEmptyDiff(sql), `schema.prisma changed without a migration; run npm run db:migration -- <name>. Pending:\n${sql}`).toBe(true);
  });

  it("applying prisma/migrations gives the same tables, columns, constraints and indexes as the schema", async () => {
    const migrated = await createTestDatabase();
    const fromSchema = await createTestDatabase({ migrate: false });
    dbs.push(migrated, fromSchema);
    const script = await diffSchemas({ tag: "empty" }, { tag: "schemaDatamodel", files: currentSchemaFiles() }, fromSchema.url);
    const client = new pg.Client({ connectionString: fromSchema.url });
    await client.connect();
    await client.query(script);
    await client.end();

    const a = await catalog(migrated.url);
    const b = await catalog(fromSchema.url);
    expect(a.columns).toEqual(b.columns);
    expect(a.constraints).toEqual(b.constraints);
    // Migrations may add plain-SQL indexes Prisma cannot express (e.g. BRIN), never drop or change Prisma's.
    for (const index of b.indexes) expect(a.indexes).toContainEqual(index);
    const extra = a.indexes.filter((i) => !b.indexes.some((j) => j.indexname === i.indexname));
    for (const index of extra) expect(index.indexdef).not.toMatch(/UNIQUE/);
  });
});
