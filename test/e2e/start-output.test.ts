import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/app-process";
import { createTestDatabase, type TestDatabase } from "../support/db";

/**
 * What `npm start` prints: the URL to open first, then readable log lines on a terminal
 * (a real pseudo-terminal, through util-linux's `script`) and JSON lines otherwise.
 */
const ANSI = /\u001b\[[0-9;]*m/g;

async function runUntilReady(child: ChildProcess): Promise<string> {
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes("Loopscope is ready")) {
    if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`not ready in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return output;
}

async function stopGroup(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  if (child.exitCode === null) process.kill(-(child.pid as number), "SIGTERM");
  return exited;
}

describe("npm start's output", () => {
  let db: TestDatabase;
  let dir: string;
  const env = async () => ({
    ...process.env,
    DATABASE_URL: db.url,
    LOOPSCOPE_SOURCE: "none",
    LOOPSCOPE_SKIP_BUILD: "1",
    LOOPSCOPE_LOG_FORMAT: "",
    HOST: "127.0.0.1",
    PORT: String(await freePort()),
    LOOPSCOPE_DATA_DIR: dir,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-start-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("not a terminal: JSON lines only, the URL to open first", async () => {
    const e = await env();
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env: e, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const output = await runUntilReady(child);
    expect(await stopGroup(child)).toBe(0);
    const lines = output.trim().split("\n");
    const parsed = lines.map((line) => JSON.parse(line) as { msg: string; url?: string });
    expect(parsed[0]).toMatchObject({ msg: "Loopscope: open this URL (starting)", url: `http://127.0.0.1:${e.PORT}` });
  });

  it("a terminal: readable lines, the URL to open first", async () => {
    const e = await env();
    const command = `${process.execPath} --import tsx scripts/start.ts`;
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env: e, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const output = (await runUntilReady(child)).replace(ANSI, "").replace(/\r/g, "");
    expect(await stopGroup(child)).toBe(0);
    const lines = output.split("\n").filter((l) => l.trim() !== "");
    expect(lines[0]).toBe(`Loopscope: open http://127.0.0.1:${e.PORT} (starting…)`);
    expect(lines.some((l) => /^\[\d\d:\d\d:\d\d\] INFO: Loopscope is ready/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith("{"))).toEqual([]);
  });
});
