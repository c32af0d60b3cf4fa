import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * A plain Node process that loads the agent's `register` (from source, through tsx): on a
 * Node.js whose AsyncLocalStorage runs on async_hooks (here: --no-async-context-frame) the
 * agent says so once on stderr with the remedy, and reports it; on the default one it is silent.
 */
const repo = path.resolve(import.meta.dirname, "../../..");
const run = promisify(execFile);
const SCRIPT = 'const { startAgent } = await import("@loopscope/agent"); const agent = await startAgent(); console.log(agent.contextPropagation); await agent.stop();';

async function startWith(flags: string[]): Promise<{ stdout: string; stderr: string }> {
  const register = path.join(repo, "packages/agent/src/register.ts");
  const entry = path.join(repo, "packages/agent/src/index.ts");
  const script = SCRIPT.replace("@loopscope/agent", entry);
  return run(process.execPath, [...flags, "--import", "tsx", "--import", register, "--input-type=module", "-e", script], {
    cwd: repo,
    timeout: 60_000,
    env: { ...process.env, LOOPSCOPE_AGENT_PORT: "", NODE_OPTIONS: "" },
  });
}

describe("the agent on a Node.js that carries contexts on async_hooks", () => {
  it("warns once with the remedy and reports async-hooks; on the default Node.js it is silent", async () => {
    const slow = await startWith(["--no-async-context-frame"]);
    expect(slow.stdout.trim()).toBe("async-hooks");
    const warnings = slow.stderr.split("\n").filter((line) => line.includes("LOOPSCOPE_CONTEXT_ON_ASYNC_HOOKS"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/without --no-async-context-frame/);

    const usual = await startWith([]);
    expect(usual.stdout.trim()).toBe("async-context-frame");
    expect(usual.stderr).not.toContain("LOOPSCOPE_CONTEXT_ON_ASYNC_HOOKS");
  }, 120_000);
});
