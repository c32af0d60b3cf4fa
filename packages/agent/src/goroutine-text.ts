import { parseFormattedFrame } from "./frames";

/** Members rendered at most, so a huge leak never makes a huge response. */
const MAX_ENTRIES = 10_000;

interface GroupLike {
  type: string;
  count: number;
  stack: readonly string[];
}

/**
 * The agent's leaked resources in the text format of Go's `goroutine?debug=2`, one entry
 * per live resource, its type as the state and its creation stack as the frames: a
 * Loopscope goroutine collector then groups, stores and judges Node resources exactly
 * as it does goroutines. Resources without a captured stack get a "(stack not sampled)" frame.
 */
export function renderGoroutineDump(groups: readonly GroupLike[]): string {
  const out: string[] = [];
  let id = 1;
  for (const group of groups) {
    const frames = group.stack.length > 0 ? group.stack.map(parseFormattedFrame) : [{ fn: "(stack not sampled)", file: "unknown", line: 1, column: 0 }];
    const body = frames.map((f) => `${f.fn.replace(/\n/g, " ")}(...)\n\t${f.file}:${Math.max(1, f.line)} +0x0`).join("\n");
    for (let i = 0; i < group.count && id <= MAX_ENTRIES; i++, id++) out.push(`goroutine ${id} [${group.type}]:\n${body}\n`);
  }
  return out.join("\n");
}
