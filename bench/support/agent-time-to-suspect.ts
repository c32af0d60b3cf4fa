/**
 * Time to suspect of the Node agent with its default settings: the plain service of
 * test/fixtures/node-agent-app (built to JS with a source map, as a user's build does) is
 * started with `node --import @loopscope/agent/register` and nothing but a port set; it
 * is sent 10 requests a second, every other one to /leak (one interval per request).
 * Measured: seconds from the first leaking request until the agent's /leaks lists a
 * suspect whose top frame is the leaking line of app.ts.
 *
 *   node --import tsx bench/support/agent-time-to-suspect.ts   (alone; bench/leaks.ts runs it too)
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const fixture = path.join(repo, "test/fixtures/node-agent-app/app.ts");

export interface TimeToSuspect {
  /** Seconds from the first leaking request to a suspect naming the line; null if none within `limitMs`. */
  seconds: number | null;
  /** The suspect's top frame as the agent reported it. */
  topFrame: string | null;
  leakLine: number;
}

/** Builds the fixture service, runs it with the agent's defaults and measures (the agent is built from source first unless `buildAgent` is false). */
export async function agentTimeToSuspect(limitMs = 180_000, buildAgent = true): Promise<TimeToSuspect> {
  if (buildAgent) execFileSync(process.execPath, [path.join(repo, "packages/agent/build.mjs")], { stdio: "inherit" });
  const leakLine = readFileSync(fixture, "utf8").split("\n").findIndex((l) => l.includes("LEAK: one interval per request")) + 1;
  const project = mkdtempSync(path.join(tmpdir(), "loopscope-agent-tts-"));
  let child: ChildProcess | undefined;
  let traffic: NodeJS.Timeout | undefined;
  try {
    mkdirSync(path.join(project, "src"));
    mkdirSync(path.join(project, "node_modules/@loopscope"), { recursive: true });
    writeFileSync(path.join(project, "src/app.ts"), readFileSync(fixture));
    symlinkSync(path.join(repo, "packages/agent"), path.join(project, "node_modules/@loopscope/agent"));
    execFileSync(path.join(repo, "node_modules/.bin/esbuild"), ["src/app.ts", "--outfile=dist/app.js", "--format=esm", "--platform=node", "--sourcemap", "--log-level=warning"], { cwd: project });
    // Defaults: only the port is set (every LOOPSCOPE_AGENT_* tuning variable is removed).
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith("LOOPSCOPE_AGENT_")) delete env[key];
    const started: ChildProcess = spawn(process.execPath, ["--import", "@loopscope/agent/register", "dist/app.js"], { cwd: project, env: { ...env, LOOPSCOPE_AGENT_PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    const { appUrl, agentUrl } = await new Promise<{ appUrl: string; agentUrl: string }>((resolve, reject) => {
      let output = "";
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const app = /app=(\S+)/.exec(output)?.[1];
        const agent = /loopscope agent: (\S+)\/metrics/.exec(output)?.[1];
        if (app && agent) resolve({ appUrl: app, agentUrl: agent });
      };
      started.stdout?.on("data", onData);
      started.stderr?.on("data", onData);
      started.once("exit", (code) => reject(new Error(`the agent app exited with ${code}:\n${output}`)));
    });
    let n = 0;
    const firstLeakAt = Date.now();
    traffic = setInterval(() => {
      n += 1;
      void fetch(`${appUrl}/${n % 2 === 1 ? "leak" : "ok"}/${n}`).then(
        (r) => r.text(),
        () => undefined,
      );
    }, 100);
    const line = new RegExp(`src/app\\.ts:${leakLine}:\\d+\\)$`);
    while (Date.now() - firstLeakAt < limitMs) {
      const leaks = (await (await fetch(`${agentUrl}/leaks`)).json()) as { suspects: { topFrame: string | null }[] };
      const found = leaks.suspects.find((s) => s.topFrame !== null && line.test(s.topFrame));
      if (found) return { seconds: Math.round((Date.now() - firstLeakAt) / 100) / 10, topFrame: found.topFrame, leakLine };
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return { seconds: null, topFrame: null, leakLine };
  } finally {
    clearInterval(traffic);
    child?.kill();
    rmSync(project, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await agentTimeToSuspect();
  console.log(`Node agent, default settings: suspect naming src/app.ts:${result.leakLine} after ${result.seconds ?? "(none within 180)"} s (target ≤ 60 s)   ${result.topFrame ?? ""}`);
  console.log(JSON.stringify({ agent_time_to_suspect_default_s: result.seconds }));
  process.exit(0);
}
