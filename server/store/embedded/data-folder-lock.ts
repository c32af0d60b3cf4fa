import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * An exclusive lock on a data folder, held for as long as this process runs: a Linux
 * abstract Unix socket named after the folder's real path. The kernel releases it when
 * the process dies, however it dies (no stale lock after kill -9), and children do not
 * inherit it (libuv opens it close-on-exec). Abstract sockets belong to a network
 * namespace: two containers sharing one volume do not see each other's lock.
 * Beside it, `<folder>/loopscope.lock` names the holder, for the refusal message only.
 */
export class DataFolderLockedError extends Error {
  override readonly name = "DataFolderLockedError";
}

export interface DataFolderLock {
  release(): Promise<void>;
}

function socketName(realDir: string): string {
  return `\0loopscope-data-${createHash("sha256").update(realDir).digest("hex")}`;
}

function holderNote(file: string): string {
  try {
    const note = JSON.parse(fs.readFileSync(file, "utf8")) as { pid?: number; host?: string; since?: string };
    return ` (pid ${note.pid} on ${note.host}, since ${note.since})`;
  } catch {
    return "";
  }
}

export async function lockDataFolder(dir: string): Promise<DataFolderLock> {
  fs.mkdirSync(dir, { recursive: true });
  const real = fs.realpathSync(dir);
  const noteFile = path.join(real, "loopscope.lock");
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new DataFolderLockedError(
            `The data folder ${real} is in use by another Loopscope${holderNote(noteFile)}. Stop that one first, or give this one its own LOOPSCOPE_DATA_DIR (and LOOPSCOPE_PG_PORT).`,
          ),
        );
      } else reject(error);
    });
    server.listen({ path: socketName(real), exclusive: true }, () => resolve());
  });
  server.unref();
  fs.writeFileSync(noteFile, `${JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() })}\n`, { mode: 0o644 });
  return {
    async release() {
      fs.rmSync(noteFile, { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
