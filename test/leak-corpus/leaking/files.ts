import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import type { CorpusEnv, LeakScenario } from "../scenario";

function keepFd(env: CorpusEnv, fd: number): void {
  env.cleanup.add(() => fs.closeSync(fd));
}

function keepHandle(env: CorpusEnv, handle: FileHandle): FileHandle {
  env.parked.push(handle);
  env.cleanup.add(() => handle.close());
  return handle;
}

const handleCache = new Map<string, FileHandle>();

export const fileLeaks: LeakScenario[] = [
  {
    name: "filehandle-never-closed",
    leaks: true,
    expectedTypes: ["FileHandle"],
    async reconcile(env) {
      const handle = keepHandle(env, await fs.promises.open(env.dataFile, "r"));
      await handle.read(Buffer.alloc(16), 0, 16, 0);
    },
  },
  {
    name: "fd-open-callback-never-closed",
    leaks: true,
    expectedTypes: ["FileDescriptor"],
    async reconcile(env) {
      await new Promise<void>((resolve, reject) =>
        fs.open(env.dataFile, "r", (error, fd) => {
          if (error) return reject(error);
          keepFd(env, fd);
          resolve();
        }),
      );
    },
  },
  {
    name: "readstream-never-consumed",
    leaks: true,
    expectedTypes: ["FileDescriptor"],
    async reconcile(env) {
      const stream = fs.createReadStream(env.dataFile);
      env.parked.push(stream);
      env.cleanup.add(() => stream.destroy());
      await new Promise((resolve) => stream.once("open", resolve));
    },
  },
  {
    name: "writestream-never-ended",
    leaks: true,
    expectedTypes: ["FileDescriptor"],
    async reconcile(env, round) {
      const stream = fs.createWriteStream(path.join(env.tempDir, `audit-${round}.log`));
      env.parked.push(stream);
      env.cleanup.add(() => stream.destroy());
      stream.write("reconciled\n");
      await new Promise((resolve) => stream.once("open", resolve));
    },
  },
  {
    name: "fd-opensync-never-closed",
    leaks: true,
    expectedTypes: ["FileDescriptor"],
    async reconcile(env) {
      keepFd(env, fs.openSync(env.dataFile, "r"));
    },
  },
  {
    name: "filehandle-cached-per-key",
    leaks: true,
    expectedTypes: ["FileHandle"],
    async reconcile(env, round) {
      handleCache.set(`default/object-${round}`, keepHandle(env, await fs.promises.open(env.dataFile, "r")));
    },
  },
];
