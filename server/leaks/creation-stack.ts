import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceMapResolver } from "./source-maps";

/**
 * Creation stacks of tracked resources. Capture is V8's lazy `captureStackTrace`:
 * frames are collected at creation, but the text is only formatted (and trimmed) when
 * the resource turns out to outlive its reconcile, so the common case never pays for
 * formatting.
 */

/** An uninspected stack capture; `stack` formats on first read (see readCreationStack). */
export interface CreationStack {
  readonly stack?: unknown;
}

/** One frame of the project's own code. */
export interface StackFrame {
  /** Function as V8 names it ("reconcile", "async Foo.bar", "<anonymous>"). */
  fn: string;
  /** Project-relative "file:line:column". */
  location: string;
}

/** Frames collected per capture: past the runtime's own frames to the project's and a few callers (deeper costs more). */
const CAPTURE_DEPTH = 16;
/** Frames kept in a signature: deeper frames rarely tell leaks apart and vary by caller. */
export const SIGNATURE_DEPTH = 6;

const ownDirectory = path.dirname(fileURLToPath(import.meta.url)) + path.sep;
/** The tracker's folder relative to any project root (frames of our wrappers). */
const OWN_RELATIVE = `server${path.sep}leaks${path.sep}`;

/** Any function: the frame a capture starts below. */
export type StackAnchor = (...args: never[]) => unknown;

/** Captures the current stack, omitting `skip` and everything above it (our wrapper). */
export function captureCreationStack(skip: StackAnchor): CreationStack {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = CAPTURE_DEPTH;
  Error.captureStackTrace(holder, skip);
  Error.stackTraceLimit = limit;
  return holder;
}

type PrepareStackTrace = (error: Error, sites: NodeJS.CallSite[]) => unknown;

/**
 * Formats a capture (once: V8 keeps the text) with every frame at its original
 * position. V8 formats a lazy capture with whatever `Error.prepareStackTrace` is
 * installed when `.stack` is first read, and Next's server installs one that applies no
 * source maps, so frames of tsx-compiled code would read `file.ts:1:7207`. Here the
 * call sites' generated positions are mapped through `resolver`; a frame it cannot map
 * is formatted by the installed formatter (which may map it its own way, as vitest's
 * does), else as V8 prints it.
 */
export function readCreationStack(capture: CreationStack, resolver: SourceMapResolver | undefined): string {
  const previous = Error.prepareStackTrace as PrepareStackTrace | undefined;
  const mapped: PrepareStackTrace = (error, sites) => ["Error", ...sites.map((site) => `    at ${formatSite(error, site, resolver, previous)}`)].join("\n");
  Error.prepareStackTrace = mapped as typeof Error.prepareStackTrace;
  try {
    const text = capture.stack;
    return typeof text === "string" ? text : "";
  } finally {
    Error.prepareStackTrace = previous as typeof Error.prepareStackTrace;
  }
}

function formatSite(error: Error, site: NodeJS.CallSite, resolver: SourceMapResolver | undefined, previous: PrepareStackTrace | undefined): string {
  let text: string;
  try {
    text = site.toString();
  } catch {
    return "<anonymous>";
  }
  const file = site.getFileName() ?? site.getScriptNameOrSourceURL();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file || line === null || column === null || file.startsWith("node:")) return text;
  const original = resolver?.resolve(file, line, column);
  const generated = `${file}:${line}:${column}`;
  const at = text.lastIndexOf(generated);
  if (original && at >= 0) return `${text.slice(0, at)}${original.file}:${original.line}:${original.column}${text.slice(at + generated.length)}`;
  if (previous) {
    try {
      const formatted = previous(error, [site]);
      const frame = typeof formatted === "string" ? formatted.split("\n").find((l) => l.trimStart().startsWith("at ")) : undefined;
      if (frame) return frame.trim().slice(3);
    } catch {
      // the installed formatter failed on a lone site: V8's own text below
    }
  }
  return text;
}

/**
 * The frames of `stackText` that are the project's own code: files under
 * `projectRoot`, excluding node internals, node_modules, and the leak tracker itself.
 */
export function projectFrames(stackText: string, projectRoot: string): StackFrame[] {
  const root = projectRoot.endsWith(path.sep) ? projectRoot : projectRoot + path.sep;
  const frames: StackFrame[] = [];
  for (const line of stackText.split("\n")) {
    const frame = parseFrame(line);
    if (!frame) continue;
    const file = frame.file;
    if (!file.startsWith(root) || file.startsWith(ownDirectory) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    const relative = file.slice(root.length);
    if (relative.startsWith(OWN_RELATIVE)) continue;
    frames.push({ fn: frame.fn, location: `${relative}${frame.position}` });
  }
  return frames;
}

/** A stable identity for "created at the same place": type plus the top frames' file:line. */
export function stackSignature(frames: readonly StackFrame[], depth = SIGNATURE_DEPTH): string {
  return frames
    .slice(0, depth)
    .map((f) => f.location.replace(/:\d+$/, ""))
    .join(" < ");
}

/** Formats frames the way Node prints them, one per line. */
export function formatFrames(frames: readonly StackFrame[]): string[] {
  return frames.map((f) => (f.fn ? `${f.fn} (${f.location})` : f.location));
}

interface ParsedFrame {
  fn: string;
  file: string;
  /** ":line:column" (or ":line"). */
  position: string;
}

function parseFrame(line: string): ParsedFrame | undefined {
  const text = line.trim();
  if (!text.startsWith("at ")) return undefined;
  const body = text.slice(3);
  let fn = "";
  let where = body;
  if (body.endsWith(")")) {
    const open = body.lastIndexOf(" (");
    if (open >= 0) {
      fn = body.slice(0, open);
      where = body.slice(open + 2, -1);
    }
  }
  if (where.startsWith("node:") || where === "<anonymous>" || where === "native" || where.startsWith("eval at")) return undefined;
  if (where.startsWith("file://")) {
    try {
      where = fileURLToPath(where.replace(/:\d+(:\d+)?$/, "")) + (/(:\d+(:\d+)?)$/.exec(where)?.[1] ?? "");
    } catch {
      return undefined;
    }
  }
  const match = /^(.*?)((?::\d+){1,2})$/.exec(where);
  if (!match) return undefined;
  return { fn, file: match[1], position: match[2] };
}
