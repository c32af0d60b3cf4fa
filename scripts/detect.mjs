/**
 * Start-up wrapper of the detection CLI (`npm run -s detect -- file.csv`): runs the
 * bundle dist/detect.mjs (built from scripts/detect.ts by esbuild on install), and
 * rebuilds it first when it is missing or older than its sources, so it never runs
 * stale code and never pays for tsx. `node dist/detect.mjs file.csv` skips the check.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bundle = path.join(root, "dist", "detect.mjs");
const SOURCES = [path.join(root, "scripts", "detect.ts"), path.join(root, "server", "anomaly")];

function newest(entry) {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(entry).map((child) => newest(path.join(entry, child))));
}

export function buildDetect() {
  // esbuild comes with tsx (a dependency); loaded only when a build is needed.
  return import("esbuild").then(({ buildSync }) =>
    buildSync({
      entryPoints: [path.join(root, "scripts", "detect.ts")],
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      minify: true,
      logLevel: "warning",
    }),
  );
}

const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
if (process.argv[2] === "--build" || built < Math.max(...SOURCES.map(newest))) await buildDetect();
if (process.argv[2] !== "--build") await import(pathToFileURL(bundle).href);
