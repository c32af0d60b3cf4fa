// Builds the agent to plain ES modules (one bundle per entry point, shared code in chunks so
// `register` and the API share one tracker) and writes the type declarations.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: ["index", "register", "runtime"].map((name) => path.join(here, "src", `${name}.ts`)),
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
  // CommonJS dependencies (pino, prom-client) call require() for Node builtins.
  banner: { js: 'import { createRequire as __loopscopeCreateRequire } from "node:module"; const require = __loopscopeCreateRequire(import.meta.url);' },
});
const tsc = path.join(here, "../../node_modules/.bin/tsc");
execFileSync(tsc, ["-p", path.join(here, "tsconfig.build.json")], { stdio: "inherit" });
for (const name of ["index", "register", "runtime"]) {
  writeFileSync(path.join(dist, `${name}.d.ts`), `export * from "./types/packages/agent/src/${name}";\n`);
}
