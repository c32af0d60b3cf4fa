import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { log } from "../../server/log";
import { EmbeddedPostgres } from "../../server/store/embedded-postgres";
import { freePort } from "./app-process";

declare module "vitest" {
  export interface ProvidedContext {
    /** A server URL (its database part is replaced per test file). */
    pgServerUrl: string;
  }
}

// Projects load this module separately, so the shared server hangs off globalThis.
type Shared = { url: Promise<string>; users: number; server: EmbeddedPostgres; dir: string };
const holder = globalThis as { __loopscopeTestPg?: Shared };

/**
 * Tests run against real PostgreSQL: DATABASE_URL when set, otherwise an embedded
 * server of this run's own (fresh data folder, free port), so concurrent runs never
 * share or stop each other's server. Started once for all projects of the run.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide("pgServerUrl", process.env.DATABASE_URL);
    return;
  }
  if (!holder.__loopscopeTestPg) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-test-pg-"));
    fs.chmodSync(dir, 0o755);
    const server = new EmbeddedPostgres({
      dataDir: dir,
      port: await freePort(),
      log: log.child({ component: "test-postgres" }, { level: "warn" }),
      database: "postgres",
    });
    holder.__loopscopeTestPg = { server, dir, url: server.start().then(() => server.superuserUrl), users: 0 };
  }
  const current = holder.__loopscopeTestPg;
  current.users += 1;
  project.provide("pgServerUrl", await current.url);
  return async () => {
    current.users -= 1;
    if (current.users === 0) {
      holder.__loopscopeTestPg = undefined;
      await current.server.stop();
      fs.rmSync(current.dir, { recursive: true, force: true });
    }
  };
}
