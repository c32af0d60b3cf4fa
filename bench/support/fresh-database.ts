import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../../server/config";
import type { Logger } from "../../server/log";
import { EmbeddedPostgres } from "../../server/store/embedded-postgres";
import { migrate } from "../../server/store/migrate";

export interface BenchDatabase {
  url: string;
  drop: () => Promise<void>;
  server?: { stop: () => Promise<void> };
}

/**
 * A fresh, migrated database for a benchmark: on DATABASE_URL's server if set, else on an
 * embedded Postgres under `.data/<folder>` (its own port); dropped (and the server stopped) by `drop`.
 * On the embedded server the database is made and used as its superuser: the app's own role may
 * not create databases.
 */
export async function freshDatabase(options: { folder: string; port: number; prefix: string; log: Logger }): Promise<BenchDatabase> {
  let server: EmbeddedPostgres | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const config = loadConfig({ ...process.env, LOOPSCOPE_DATA_DIR: path.resolve(".data", options.folder), LOOPSCOPE_PG_PORT: String(options.port) });
    server = new EmbeddedPostgres({ dataDir: config.dataDir, port: config.LOOPSCOPE_PG_PORT, runtimeDir: config.LOOPSCOPE_PG_RUNTIME_DIR, log: options.log });
    await server.start();
    serverUrl = server.superuserUrl;
  }
  const name = `${options.prefix}_${randomBytes(4).toString("hex")}`;
  const adminUrl = new URL(serverUrl);
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    server,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      await server?.stop();
    },
  };
}
