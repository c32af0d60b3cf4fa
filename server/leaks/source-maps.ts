import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { findSourceMap, SourceMap, type SourceMapPayload } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Generated positions back to the original source through source maps, for creation
 * stacks: code run by tsx (inline maps), Next's server chunks (`.js.map` files next to
 * them), anything run with `--enable-source-maps` or compiled with source maps.
 * - First the maps Node itself keeps (`module.findSourceMap`: every module loaded
 *   while source maps were enabled, which tsx and the agent's `register` turn on);
 * - else, for a `.js`/`.mjs`/`.cjs` file on disk, its `sourceMappingURL` comment (a
 *   data URL or a file next to it), read once and kept;
 * - else nothing: the caller keeps the generated position.
 * Bounded: files and maps larger than a cap are not read, and at most MAX_CACHED
 * files' answers are kept.
 */

export interface OriginalPosition {
  /** Absolute path of the original source file. */
  file: string;
  line: number;
  column: number;
}

/** Largest generated file read to look for its map comment, and largest map read. */
const MAX_FILE_BYTES = 32 * 1_048_576;
const MAX_CACHED = 2_000;
const MAPPED_EXTENSIONS = /\.(?:js|mjs|cjs)$/;

export class SourceMapResolver {
  /** Maps read from disk by generated file (null: none found). */
  private readonly fromDisk = new Map<string, { map: SourceMap; url: string } | null>();

  /** `projectRoot` resolves `[project]/…` and `webpack://…/./…` sources (bundlers' virtual roots). */
  constructor(private readonly projectRoot: string) {}

  /** The original position of 1-based `line`:`column` in `file` (a path or file URL), if a map says. */
  resolve(file: string, line: number, column: number): OriginalPosition | undefined {
    if (file.startsWith("node:") || file.includes("/node_modules/")) return undefined;
    const known = lookupNodeMap(file);
    const found = known ? { map: known, url: toUrl(file) } : this.diskMap(file);
    if (!found) return undefined;
    const origin = found.map.findOrigin(line, column);
    if (!("fileName" in origin) || typeof origin.fileName !== "string" || !(origin.lineNumber > 0)) return undefined;
    const source = sourcePath(origin.fileName, found.url, found.map.payload.sourceRoot, this.projectRoot);
    if (!source) return undefined;
    return { file: source, line: origin.lineNumber, column: Math.max(1, origin.columnNumber) };
  }

  private diskMap(file: string): { map: SourceMap; url: string } | null {
    const cached = this.fromDisk.get(file);
    if (cached !== undefined) return cached;
    let found: { map: SourceMap; url: string } | null = null;
    const filePath = toPath(file);
    if (filePath && MAPPED_EXTENSIONS.test(filePath)) {
      try {
        found = readMapOf(filePath);
      } catch {
        found = null;
      }
    }
    if (this.fromDisk.size >= MAX_CACHED) this.fromDisk.clear();
    this.fromDisk.set(file, found);
    return found;
  }
}

function lookupNodeMap(file: string): SourceMap | undefined {
  try {
    return findSourceMap(file) ?? (file.startsWith("file://") ? undefined : findSourceMap(pathToFileURL(file).href));
  } catch {
    return undefined;
  }
}

function readMapOf(filePath: string): { map: SourceMap; url: string } | null {
  const code = readBounded(filePath);
  if (code === undefined) return null;
  const at = code.lastIndexOf("sourceMappingURL=");
  if (at < 0) return null;
  const reference = /^[^\s'"]+/.exec(code.slice(at + "sourceMappingURL=".length))?.[0];
  if (!reference) return null;
  const fileUrl = pathToFileURL(filePath).href;
  if (reference.startsWith("data:")) {
    const comma = reference.indexOf(",");
    if (comma < 0) return null;
    const meta = reference.slice(5, comma);
    const body = reference.slice(comma + 1);
    const text = meta.endsWith(";base64") ? Buffer.from(body, "base64").toString("utf8") : decodeURIComponent(body);
    return { map: new SourceMap(JSON.parse(text) as SourceMapPayload), url: fileUrl };
  }
  const mapUrl = new URL(reference, fileUrl);
  if (mapUrl.protocol !== "file:") return null;
  const text = readBounded(fileURLToPath(mapUrl));
  if (text === undefined) return null;
  return { map: new SourceMap(JSON.parse(text) as SourceMapPayload), url: mapUrl.href };
}

function readBounded(filePath: string): string | undefined {
  const fd = openSync(filePath, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_FILE_BYTES) return undefined;
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.toString("utf8", 0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * A map's source name as an absolute path: file URLs and absolute paths as they are,
 * bundlers' virtual roots (`[project]/x`, `webpack://app/./x`, `turbopack:///[project]/x`)
 * under the project, anything else relative to the map (and its sourceRoot).
 */
export function sourcePath(source: string, mapUrl: string, sourceRoot: string | undefined, projectRoot: string): string | undefined {
  const project = /^(?:[a-z]+:\/\/\/?)?\[project\]\/(.*)$/.exec(source);
  if (project) return path.join(projectRoot, decodeURIComponent(project[1]));
  const bundler = /^webpack:\/\/[^/]*\/(?:\.\/)?(.*)$/.exec(source);
  if (bundler) return path.join(projectRoot, bundler[1]);
  if (source.startsWith("file://")) return toPath(source);
  if (path.isAbsolute(source)) return source;
  try {
    const base = sourceRoot ? new URL(sourceRoot.endsWith("/") ? sourceRoot : `${sourceRoot}/`, mapUrl) : new URL(mapUrl);
    const url = new URL(source, base);
    return url.protocol === "file:" ? fileURLToPath(url) : undefined;
  } catch {
    return undefined;
  }
}

function toUrl(file: string): string {
  return file.startsWith("file://") ? file : pathToFileURL(file).href;
}

function toPath(file: string): string | undefined {
  if (!file.startsWith("file://")) return path.isAbsolute(file) ? file : undefined;
  try {
    return fileURLToPath(file);
  } catch {
    return undefined;
  }
}
