import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/**
 * Applies `prisma/migrations/` exactly as `prisma migrate deploy` does: same
 * `_prisma_migrations` table, same sha256 checksum, same advisory lock, one row per
 * migration. Refuses to continue when an applied migration's file has changed or an
 * earlier attempt failed, so the two tools stay interchangeable.
 */
export const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
    migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

export function checksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** Prisma also accepts a file whose only change is CRLF ↔ LF. */
function checksumVariants(sql: string): string[] {
  const lf = sql.replace(/\r\n/g, "\n");
  return [checksum(sql), checksum(lf), checksum(lf.replace(/\n/g, "\r\n"))];
}

export function defaultMigrationsDir(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.cwd(), "prisma", "migrations");
}

export async function readMigrations(dir = defaultMigrationsDir()): Promise<Migration[]> {
  if (!existsSync(dir)) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const file = path.join(dir, name, "migration.sql");
    if (!existsSync(file)) continue;
    const sql = await fs.readFile(file, "utf8");
    migrations.push({ name, sql, checksum: checksum(sql) });
  }
  return migrations;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

/** Applies pending migrations; safe when several processes call it at once. */
export async function migrate(databaseUrl: string, dir = defaultMigrationsDir()): Promise<MigrationReport> {
  const migrations = await readMigrations(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<AppliedRow>(
        "SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM _prisma_migrations ORDER BY started_at",
      );
      const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
      if (failed) {
        throw new MigrationError(
          `Migration "${failed.migration_name}" failed earlier and was not rolled back: ${failed.logs ?? "no log"}. ` +
            "Fix the database by hand, then mark it rolled back (prisma migrate resolve --rolled-back) before starting again.",
        );
      }
      const applied = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
      for (const migration of migrations) {
        const row = applied.get(migration.name);
        if (row && !checksumVariants(migration.sql).includes(row.checksum)) {
          throw new MigrationError(
            `Migration "${migration.name}" was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ` +
              `${migration.checksum.slice(0, 12)}… on disk). Restore the original migration.sql and put the change in a new migration.`,
          );
        }
      }
      const report: MigrationReport = { applied: [], alreadyApplied: applied.size };
      for (const migration of migrations) {
        if (applied.has(migration.name)) continue;
        const id = randomUUID();
        await client.query("INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, now(), $3)", [
          id,
          migration.checksum,
          migration.name,
        ]);
        try {
          // One multi-statement simple query: Postgres runs it in one implicit transaction.
          await client.query(migration.sql);
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          await client.query("UPDATE _prisma_migrations SET logs = $2 WHERE id = $1", [id, text]);
          throw new MigrationError(`Migration "${migration.name}" failed: ${text}`);
        }
        await client.query("UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1 WHERE id = $1", [id]);
        await client.query("UPDATE _prisma_migrations SET finished_at = now() WHERE id = $1", [id]);
        report.applied.push(migration.name);
      }
      return report;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}

/** Names of migrations on disk that the database has not applied (for readiness). */
export async function pendingMigrations(client: pg.ClientBase, dir = defaultMigrationsDir()): Promise<string[]> {
  const migrations = await readMigrations(dir);
  const exists = await client.query("SELECT to_regclass('_prisma_migrations') AS t");
  if (!exists.rows[0]?.t) return migrations.map((m) => m.name);
  const { rows } = await client.query<{ migration_name: string }>(
    "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
  );
  const done = new Set(rows.map((r) => r.migration_name));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
