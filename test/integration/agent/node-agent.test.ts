import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoroutineCollector } from "../../../server/goroutines/goroutine-collector";
import { DEFAULT_OUTBOUND_POLICY } from "../../../server/outbound/policy";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { waitFor } from "../../leak-corpus/harness";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { ensureGoPrograms, GO_BIN, type RunningProgram, startGoProgram } from "../../support/go-programs";

/**
 * A plain Node service (test/fixtures/node-agent-app/app.ts, compiled to JS with a source
 * map the way a user's build does) that uses nothing of Loopscope but the agent, started
 * with `node --import @loopscope/agent/register`. It leaks an interval per /leak request.
 * Loopscope's goroutine collector scrapes the agent like a Go pprof target. Grace, sampling
 * and the collector's interval are shortened here; the logic is the product's.
 */
const repo = path.resolve(import.meta.dirname, "../../..");
const run = promisify(execFile);
const LEAK_LINE = lineOf("LEAK: one interval per request");

let project: string;
let app: RunningProgram;
let appUrl: string;
let agentUrl: string;
let db: TestDatabase;
let prisma: PrismaClient;
let collector: GoroutineCollector;
let traffic: NodeJS.Timeout | undefined;

function lineOf(marker: string): number {
  return readFileSync(path.join(repo, "test/fixtures/node-agent-app/app.ts"), "utf8").split("\n").findIndex((l) => l.includes(marker)) + 1;
}

beforeAll(async () => {
  await run(process.execPath, [path.join(repo, "packages/agent/build.mjs")], { cwd: repo, timeout: 120_000 });
  // A user's project: src/app.ts built to dist/app.js with a source map, the agent installed in node_modules.
  project = mkdtempSync(path.join(tmpdir(), "loopscope-agent-app-"));
  mkdirSync(path.join(project, "src"));
  mkdirSync(path.join(project, "node_modules/@loopscope"), { recursive: true });
  writeFileSync(path.join(project, "src/app.ts"), readFileSync(path.join(repo, "test/fixtures/node-agent-app/app.ts")));
  symlinkSync(path.join(repo, "packages/agent"), path.join(project, "node_modules/@loopscope/agent"));
  await run(path.join(repo, "node_modules/.bin/esbuild"), ["src/app.ts", "--outfile=dist/app.js", "--format=esm", "--platform=node", "--sourcemap", "--log-level=warning"], { cwd: project });
  expect(existsSync(path.join(project, "dist/app.js.map"))).toBe(true);
  const env = { LOOPSCOPE_AGENT_PORT: "0", LOOPSCOPE_AGENT_GRACE_MS: "1000", LOOPSCOPE_AGENT_SAMPLE_MS: "500", LOOPSCOPE_AGENT_STACK_RATE: "1" };
  app = await startNode(["--import", "@loopscope/agent/register", "dist/app.js"], env);
  appUrl = /app=(\S+)/.exec(app.output())![1];
  agentUrl = /loopscope agent: (\S+)\/metrics/.exec(app.output())![1];
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  collector = new GoroutineCollector({ prisma, targets: async () => [{ id: 7, name: "orders-api", pprofUrl: `${agentUrl}/debug/pprof/` }], policy: DEFAULT_OUTBOUND_POLICY, intervalMs: 1_000 });
}, 300_000);

afterAll(async () => {
  clearInterval(traffic);
  await collector?.stop();
  await app?.stop();
  await prisma?.$disconnect();
  await db?.drop();
  if (project) rmSync(project, { recursive: true, force: true });
});

async function startNode(args: string[], env: Record<string, string>): Promise<RunningProgram> {
  return startGoProgram(process.execPath, args, /app=\S+[\s\S]*|loopscope agent[\s\S]*app=\S+/, 60_000, { cwd: project, env: { ...process.env, ...env } });
}

describe("the Node agent in a plain service", () => {
  it("a leaked interval per request appears under its target with the .ts line within 60 s", async () => {
    let n = 0;
    traffic = setInterval(() => {
      n += 1;
      void fetch(`${appUrl}/${n % 2 === 0 ? "leak" : "ok"}/${n}`).then((r) => r.text(), () => undefined);
    }, 100);
    const started = Date.now();
    await collector.start();
    await waitFor(() => (collector.target(7)?.suspects.length ?? 0) > 0, "a suspect on the agent's target", 60_000, 100);
    const suspect = collector.target(7)!.suspects[0];
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(suspect.state).toBe("Timeout");
    expect(suspect.topUserFrame).toContain(`src/app.ts:${LEAK_LINE}`);
    // The agent's own verdict and metrics agree, with the original line and column.
    type AgentLeaks = { suspects: { topFrame: string; controllers: { controller: string }[] }[] };
    let leaks: AgentLeaks = { suspects: [] };
    const deadline = Date.now() + 60_000;
    while (leaks.suspects.length === 0 && Date.now() < deadline) {
      leaks = (await (await fetch(`${agentUrl}/leaks`)).json()) as AgentLeaks;
      if (leaks.suspects.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(leaks.suspects[0]?.topFrame).toMatch(new RegExp(`^pollForever \\(src/app\\.ts:${LEAK_LINE}:\\d+\\)$`));
    expect(leaks.suspects[0]?.controllers[0]?.controller).toBe("orders-api");
    const metrics = await (await fetch(`${agentUrl}/metrics`)).text();
    expect(metrics).toMatch(/loopscope_leak_suspects\{controller="orders-api",type="Timeout"\} [1-9]/);
    expect(metrics).toMatch(/loopscope_active_resources\{type="Timeout"\} \d+/);
  }, 120_000);

  it("serves its groups as a pprof profile that Go's pprof opens", async () => {
    const profile = Buffer.from(await (await fetch(`${agentUrl}/debug/pprof/leaks`)).arrayBuffer());
    const file = path.join(project, "leaks.pb.gz");
    writeFileSync(file, profile);
    await ensureGoPrograms();
    const { stdout } = await run(path.join(GO_BIN, "pprof"), ["-top", "-lines", file], { timeout: 60_000 });
    expect(stdout).toContain("Type: resources");
    expect(stdout).toMatch(new RegExp(`pollForever src/app\\.ts:${LEAK_LINE}`));
  }, 120_000);
});
