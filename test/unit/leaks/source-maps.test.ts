import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { transformSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { SourceMapResolver, sourcePath } from "../../../server/leaks/source-maps";

const dir = mkdtempSync(path.join(tmpdir(), "loopscope-source-maps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const original = [
  "interface Options { periodMs: number }",
  "export function poll(options: Options): NodeJS.Timeout {",
  "  const period: number = options.periodMs;",
  "  return setInterval(() => period, period);",
  "}",
].join("\n");
const originalFile = path.join(dir, "src", "poll.ts");

describe("SourceMapResolver", () => {
  it("maps a minified file's position back to the original line through the .map beside it and through an inline map", () => {
    mkdirSync(path.join(dir, "dist"), { recursive: true });
    for (const inline of [false, true]) {
      const name = inline ? "inline.js" : "external.js";
      const result = transformSync(original, { loader: "ts", format: "esm", minify: true, sourcemap: inline ? "inline" : "external", sourcefile: "../src/poll.ts" });
      const file = path.join(dir, "dist", name);
      writeFileSync(file, inline ? result.code : `${result.code}//# sourceMappingURL=${name}.map\n`);
      if (!inline) writeFileSync(`${file}.map`, result.map);
      const column = result.code.indexOf("setInterval") + 1;
      expect(result.code.split("\n")[0].length).toBeGreaterThan(column);
      const resolver = new SourceMapResolver(dir);
      expect(resolver.resolve(file, 1, column)).toEqual({ file: originalFile, line: 4, column: 10 });
      expect(resolver.resolve(pathToFileURL(file).href, 1, column)).toEqual({ file: originalFile, line: 4, column: 10 });
    }
  });

  it("leaves files without a map, node internals and node_modules alone", () => {
    const plain = path.join(dir, "plain.js");
    writeFileSync(plain, "setInterval(() => 1, 10);\n");
    const resolver = new SourceMapResolver(dir);
    expect(resolver.resolve(plain, 1, 1)).toBeUndefined();
    expect(resolver.resolve("node:internal/timers", 1, 1)).toBeUndefined();
    expect(resolver.resolve(path.join(dir, "node_modules/x/index.js"), 1, 1)).toBeUndefined();
    expect(resolver.resolve(path.join(dir, "missing.js"), 1, 1)).toBeUndefined();
  });
});

describe("sourcePath", () => {
  const map = "file:///srv/app/.next/server/chunks/ssr/page.js.map";
  it("resolves bundlers' virtual roots under the project and relative names against the map", () => {
    expect(sourcePath("turbopack:///[project]/server/demo/leaks.ts", map, undefined, "/srv/app")).toBe("/srv/app/server/demo/leaks.ts");
    expect(sourcePath("[project]/app/page.tsx", map, undefined, "/srv/app")).toBe("/srv/app/app/page.tsx");
    expect(sourcePath("webpack://loopscope/./server/x.ts", map, undefined, "/srv/app")).toBe("/srv/app/server/x.ts");
    expect(sourcePath("../../../../server/x.ts", map, undefined, "/srv/app")).toBe("/srv/app/server/x.ts");
    expect(sourcePath("x.ts", map, "../../../../server", "/srv/app")).toBe("/srv/app/server/x.ts");
    expect(sourcePath("file:///srv/app/server/x.ts", map, undefined, "/other")).toBe("/srv/app/server/x.ts");
    expect(sourcePath("/srv/app/server/x.ts", map, undefined, "/other")).toBe("/srv/app/server/x.ts");
    expect(sourcePath("https://example.com/x.ts", map, undefined, "/srv/app")).toBeUndefined();
  });
});
