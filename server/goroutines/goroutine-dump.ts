/**
 * Parser for Go goroutine dumps: the text of `/debug/pprof/goroutine?debug=2` (and of a
 * panic or SIGQUIT traceback, which has the same shape). Pure and line-based, so a
 * 10,000-goroutine dump parses in milliseconds. Handles both forms of the creation line:
 * `created by pkg.fn` (Go ≤ 1.20) and `created by pkg.fn in goroutine N` (Go ≥ 1.21), the
 * `gp=… m=…` header fields of GOTRACEBACK=system, elided frames, and states with
 * annotations (`chan receive, 12 minutes, locked to thread`, `chan send (leaked)`).
 * Unknown lines are skipped and counted, never fatal.
 */

/** One frame: the function and where it was. */
export interface GoFrame {
  /** Fully qualified function, without arguments: "net/http.(*conn).serve", "main.leakOne.func1". */
  fn: string;
  /** Source file as the binary records it (absolute, or module-relative under -trimpath). */
  file: string;
  line: number;
}

export interface Goroutine {
  id: number;
  /** Wait reason or run state without annotations: "chan send", "select", "IO wait", "running". */
  state: string;
  /** Minutes blocked in that state, as the runtime reports it (0 when under a minute). */
  waitMinutes: number;
  lockedToThread: boolean;
  /** The runtime proved it can never run again (goroutineleak profile, `(leaked)` state). */
  leaked: boolean;
  /** Innermost first. */
  frames: GoFrame[];
  /** The `go` statement that started it: the creating function and its file:line. */
  createdBy: GoFrame | null;
  /** The creating goroutine's id, when the dump says (Go ≥ 1.21). */
  createdByGoroutine: number | null;
  /** Frames the runtime left out ("...N frames elided..."). */
  elidedFrames: boolean;
}

export interface GoroutineDump {
  goroutines: Goroutine[];
  /** Lines that fit no part of the format (skipped). */
  skippedLines: number;
}

const HEADER = /^goroutine (\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[([^\]]*)\]:\s*$/;
const LOCATION = /^\t(.+):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=\S+ sp=\S+ pc=\S+)?\s*$/;
const CREATED_BY = /^created by (.+?)(?: in goroutine (\d+))?\s*$/;
const MINUTES = /^(\d+) minutes?$/;

/** Parses a whole dump. Never throws on malformed input: what cannot be read is skipped. */
export function parseGoroutineDump(text: string): GoroutineDump {
  const goroutines: Goroutine[] = [];
  let skippedLines = 0;
  let current: Goroutine | null = null;
  /** The function line waiting for its location line; "created" marks a creation frame. */
  let pending: { fn: string; created: boolean; createdIn: number | null } | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line === "") {
      pending = null;
      continue;
    }
    if (line.startsWith("goroutine ")) {
      const header = HEADER.exec(line);
      if (header) {
        current = newGoroutine(Number(header[1]), header[2]);
        goroutines.push(current);
        pending = null;
        continue;
      }
    }
    if (!current) {
      skippedLines += 1;
      continue;
    }
    if (line.charCodeAt(0) === 9 /* tab */) {
      const location = LOCATION.exec(line);
      if (location && pending) {
        const frame = { fn: pending.fn, file: location[1], line: Number(location[2]) };
        if (pending.created) {
          current.createdBy = frame;
          current.createdByGoroutine = pending.createdIn;
        } else current.frames.push(frame);
      } else skippedLines += 1;
      pending = null;
      continue;
    }
    if (line.startsWith("...")) {
      current.elidedFrames = true;
      continue;
    }
    if (line.startsWith("created by ")) {
      const created = CREATED_BY.exec(line);
      if (created) {
        pending = { fn: created[1], created: true, createdIn: created[2] === undefined ? null : Number(created[2]) };
        continue;
      }
    }
    const fn = functionName(line);
    if (fn) pending = { fn, created: false, createdIn: null };
    else skippedLines += 1;
  }
  return { goroutines, skippedLines };
}

function newGoroutine(id: number, bracket: string): Goroutine {
  const parts = bracket.split(", ");
  let state = parts[0] ?? "";
  let leaked = false;
  if (state.endsWith(" (leaked)")) {
    leaked = true;
    state = state.slice(0, -" (leaked)".length);
  }
  let waitMinutes = 0;
  let lockedToThread = false;
  for (const part of parts.slice(1)) {
    const minutes = MINUTES.exec(part);
    if (minutes) waitMinutes = Number(minutes[1]);
    else if (part === "locked to thread") lockedToThread = true;
  }
  return { id, state, waitMinutes, lockedToThread, leaked, frames: [], createdBy: null, createdByGoroutine: null, elidedFrames: false };
}

/**
 * The function of a frame line, without its argument list: "pkg.(*T).m(0x1, {0x2, 0x3})"
 * → "pkg.(*T).m". The arguments are the last balanced parenthesised group; receivers
 * like "(*T)" sit inside the name. "panic(...)" and "main.main()" work the same way.
 */
export function functionName(line: string): string | null {
  if (!line.endsWith(")")) return line.length > 0 && !line.includes(" ") ? line : null;
  let depth = 0;
  for (let i = line.length - 1; i >= 0; i--) {
    const c = line.charCodeAt(i);
    if (c === 41 /* ) */) depth += 1;
    else if (c === 40 /* ( */) {
      depth -= 1;
      if (depth === 0) {
        const name = line.slice(0, i);
        return name.length > 0 ? name : null;
      }
    }
  }
  return null;
}
