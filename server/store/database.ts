import type { LoopscopeConfig } from "../config";
import type { Logger } from "../log";
import { EmbeddedPostgres } from "./embedded-postgres";

/** Where Loopscope's data lives: the server in DATABASE_URL, or an embedded one it owns. */
export interface DatabaseHandle {
  url: string;
  kind: "embedded" | "external";
  /** Why the database is known to be down right now (the embedded server restarting); undefined when it should answer. */
  outage(): string | undefined;
  stop(): Promise<void>;
}

/** Errors that retrying cannot fix (another instance holds the data folder, the postgres user cannot be given a place): stop at once. */
export function isFatalDatabaseError(error: unknown): boolean {
  return error instanceof Error && ["MigrationError", "DataFolderLockedError", "EmbeddedSetupError"].includes(error.name);
}

export async function openDatabase(config: LoopscopeConfig, log: Logger): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, kind: "external", outage: () => undefined, stop: async () => undefined };
  }
  const embedded = new EmbeddedPostgres({ dataDir: config.dataDir, port: config.LOOPSCOPE_PG_PORT, runtimeDir: config.LOOPSCOPE_PG_RUNTIME_DIR, log });
  const url = await embedded.start();
  return {
    url,
    kind: "embedded",
    outage: () => {
      const status = embedded.status();
      return status.state === "restarting" ? `embedded PostgreSQL exited (${status.lastExit}) and is being restarted` : undefined;
    },
    stop: () => embedded.stop(),
  };
}
