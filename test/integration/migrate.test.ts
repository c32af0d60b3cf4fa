import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { checksum, migrate, readMigrations } from "../../server/store/migrate";
import { createTestDatabase, type TestDatabase } from "../support/db";

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

async function rows(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const result = await client.query("SELECT * FROM _prisma_migrations ORDER BY migration_name");
  await client.end();
  return result.rows;
}

describe("migration runner", () => {
  it("records every migration in _prisma_migrations as prisma migrate deploy does", async () => {
    db = await createTestDatabase({ migrate: false });
    const report = await migrate(db.url);
    const onDisk = await readMigrations();
    expect(report.applied).toEqual(onDisk.map((m) => m.name));
    const applied = await rows(db.url);
    expect(applied).toHaveLength(onDisk.length);
    for (const [i, row] of applied.entries()) {
      expect(row.migration_name).toBe(onDisk[i].name);
      expect(row.checksum).toBe(checksum(fs.readFileSync(`prisma/migrations/${onDisk[i].name}/migration.sql`, "utf8")));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
    }
    const again = await migrate(db.url);
    expect(again.applied).toEqual([]);
    expect(await rows(db.url)).toHaveLength(onDisk.length);
  });

  it("is safe when two processes migrate at once (advisory lock)", async () => {
    db = await createTestDatabase({ migrate: false });
    const [a, b] = await Promise.all([migrate(db.url), migrate(db.url)]);
    const count = (await readMigrations()).length;
    expect(a.applied.length + b.applied.length).toBe(count);
    expect(await rows(db.url)).toHaveLength(count);
  });

  it("refuses to start when an applied migration was edited", async () => {
    db = await createTestDatabase({ migrate: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-migrations-"));
    fs.mkdirSync(path.join(dir, "20200101000000_first"));
    fs.writeFileSync(path.join(dir, "20200101000000_first", "migration.sql"), "CREATE TABLE drift_probe (id int);");
    await migrate(db.url, dir);
    fs.writeFileSync(path.join(dir, "20200101000000_first", "migration.sql"), "CREATE TABLE drift_probe (id bigint);");
    await expect(migrate(db.url, dir)).rejects.toThrow(/was changed after it was applied/);
  });

  it("records a failed migration with its error and refuses to continue", async () => {
    db = await createTestDatabase({ migrate: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-migrations-"));
    fs.mkdirSync(path.join(dir, "20200101000000_bad"));
    fs.writeFileSync(path.join(dir, "20200101000000_bad", "migration.sql"), "CREATE TABLE ok_table (id int); SELECT no_such_column FROM ok_table;");
    await expect(migrate(db.url, dir)).rejects.toThrow(/failed: column "no_such_column" does not exist/);
    const [row] = await rows(db.url);
    expect(row.finished_at).toBeNull();
    expect(row.logs).toMatch(/no_such_column/);
    await expect(migrate(db.url, dir)).rejects.toThrow(/failed earlier and was not rolled back/);
  });
});
