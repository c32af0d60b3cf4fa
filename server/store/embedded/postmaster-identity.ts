import fs from "node:fs/promises";
import path from "node:path";

/**
 * Whether a pid is provably the postmaster of one data directory, read from /proc: its
 * executable is a `postgres` binary and its working directory (the postmaster changes into
 * its data directory) is that directory. Anything else — a dead pid, a reused pid, another
 * program, another cluster's postmaster, a process we may not inspect — is not.
 */
export interface PostmasterLock {
  pid: number;
  dataDir: string;
}

/** The first two lines of `postmaster.pid`: the pid and the data directory (undefined when malformed). */
export function parsePostmasterPid(text: string): PostmasterLock | undefined {
  const [pidLine, dirLine] = text.split("\n");
  const pid = Number(pidLine?.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0 || !dirLine?.trim()) return undefined;
  return { pid, dataDir: dirLine.trim() };
}

export type PostmasterVerdict = { ours: true } | { ours: false; why: string };

export async function postmasterVerdict(pid: number, dataDir: string, proc = "/proc"): Promise<PostmasterVerdict> {
  let exe: string;
  let cwd: string;
  try {
    [exe, cwd] = await Promise.all([fs.readlink(path.join(proc, String(pid), "exe")), fs.readlink(path.join(proc, String(pid), "cwd"))]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ours: false, why: code === "ENOENT" ? `no process ${pid}` : `process ${pid} cannot be inspected (${code})` };
  }
  if (path.basename(exe.replace(/ \(deleted\)$/, "")) !== "postgres") return { ours: false, why: `process ${pid} is ${exe}, not a postgres server` };
  const wanted = await fs.realpath(dataDir).catch(() => path.resolve(dataDir));
  if (cwd !== wanted) return { ours: false, why: `process ${pid} is the postmaster of ${cwd}, not of ${wanted}` };
  return { ours: true };
}
