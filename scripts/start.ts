/**
 * `npm start`: builds the Next.js app when the build is missing or older than the
 * sources, then runs Loopscope (server, services and, by default, embedded Postgres)
 * in this one process.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const SOURCES = ["app", "components", "server", "shared", "next.config.ts", "package-lock.json", "tsconfig.json"];

function newestMtime(entry: string): number {
  if (!fs.existsSync(entry)) return 0;
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) {
    if (child === "generated" || child === "node_modules") continue;
    newest = Math.max(newest, newestMtime(path.join(entry, child)));
  }
  return newest;
}

function buildIsStale(): boolean {
  const buildId = path.join(".next", "BUILD_ID");
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > built);
}

/** The URL to open comes first (a readable line on a terminal, a JSON log line otherwise); bad settings are reported by main. */
async function announceUrl(): Promise<void> {
  const { dashboardUrl, loadConfig } = await import("../server/config");
  const { log, logFormat } = await import("../server/log");
  let url: string;
  try {
    url = dashboardUrl(loadConfig());
  } catch {
    return;
  }
  if (logFormat() === "pretty") console.log(`Loopscope: open ${url} (starting…)`);
  else log.info({ url }, "Loopscope: open this URL (starting)");
}

await announceUrl();
const skip = ["1", "true", "yes"].includes(process.env.LOOPSCOPE_SKIP_BUILD ?? "");
if (!skip && buildIsStale()) {
  const { log, logFormat, stripAnsi } = await import("../server/log");
  const json = logFormat() === "json";
  log.info("Building the dashboard (next build)…");
  // On a terminal the build prints as it goes; otherwise its lines become JSON log lines.
  const result = spawnSync("npx", ["next", "build"], {
    stdio: json ? ["ignore", "pipe", "pipe"] : "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1_048_576,
  });
  if (json) for (const line of `${result.stdout ?? ""}${result.stderr ?? ""}`.split("\n")) if (line.trim()) log.info({ component: "next-build" }, stripAnsi(line));
  if (result.status !== 0) {
    console.error("next build failed; see the output above.");
    process.exit(result.status ?? 1);
  }
}

const { main } = await import("../server/main");
await main();
