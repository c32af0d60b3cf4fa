import fs from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces and parentheses): state ppid … utime stime.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * CPU seconds used so far by the live descendants of `root` (Linux /proc), leaving out the
 * subtrees of `exclude`: e.g. the embedded PostgreSQL server and its backends under a bench
 * process whose other children are measured on their own.
 */
export function descendantsCpuSeconds(root: number, exclude: readonly number[] = []): number {
  const children = new Map<number, number[]>();
  const stats = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const skip = new Set(exclude);
  let total = 0;
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (skip.has(pid)) continue;
    total += stats.get(pid)?.cpuSeconds ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}
