import path from "node:path";
import type { TestProject } from "vitest/node";
import { log } from "../../server/log";
import { EmbeddedPostgres } from "../../server/store/embedded-postgres";

declare module "vitest" {
  export interface ProvidedContext {
    /** A server URL (its database part is replaced per test file). */
    pgServerUrl: string;
  }
}

/**
 * Tests run against real PostgreSQL: DATABASE_URL when set, otherwise an embedded
 * server on its own port and data folder, started once for the whole run.
 */
// Every vitest project runs this setup; they share one server (reference-counted).
// Projects load this module separately, so the shared server hangs off globalThis.
type Shared = { url: Promise<string>; users: number; server: EmbeddedPostgres };
const holder = globalThis as { __loopscopeTestPg?: Shared };

export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide("pgServerUrl", process.env.DATABASE_URL);
    return;
  }
  if (!holder.__loopscopeTestPg) {
    const server = new EmbeddedPostgres({
      dataDir: path.resolve(process.env.LOOPSCOPE_TEST_DATA_DIR ?? ".data/test"),
      port: Number(process.env.LOOPSCOPE_TEST_PG_PORT ?? 54339),
      log: log.child({ component: "test-postgres" }, { level: "warn" }),
      database: "postgres",
    });
    holder.__loopscopeTestPg = { server, url: server.start(), users: 0 };
  }
  const current = holder.__loopscopeTestPg;
  current.users += 1;
  project.provide("pgServerUrl", await current.url);
  return async () => {
    current.users -= 1;
    if (current.users === 0) {
      holder.__loopscopeTestPg = undefined;
      await current.server.stop();
    }
  };
}
