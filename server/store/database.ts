import type { LoopscopeConfig } from "../config";
import type { Logger } from "../log";
import { EmbeddedPostgres } from "./embedded-postgres";

/** Where Loopscope's data lives: the server in DATABASE_URL, or an embedded one it owns. */
export interface DatabaseHandle {
  url: string;
  kind: "embedded" | "external";
  stop(): Promise<void>;
}

export async function openDatabase(config: LoopscopeConfig, log: Logger): Promise<DatabaseHandle> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, kind: "external", stop: async () => undefined };
  }
  const embedded = new EmbeddedPostgres({ dataDir: config.dataDir, port: config.LOOPSCOPE_PG_PORT, log });
  const url = await embedded.start();
  return { url, kind: "embedded", stop: () => embedded.stop() };
}
