import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshotPath } from "../support/browser";
import { type AppProcess, freePort, startApp } from "../support/app-process";

function postgresProcessesFor(dir: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"]).toString();
  return out.split("\n").filter((line) => line.includes("postgres") && line.includes(dir));
}

/** Runs `npm start`'s script to its exit (it must stop by itself): exit status and stderr. */
function startToExit(env: Record<string, string>): { status: number | null; stderr: string } {
  try {
    execFileSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env: { ...process.env, LOOPSCOPE_SKIP_BUILD: "1", ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    return { status: 0, stderr: "" };
  } catch (error) {
    const e = error as { status: number | null; stderr: Buffer };
    return { status: e.status, stderr: e.stderr.toString() };
  }
}

describe("Loopscope with zero set-up (embedded PostgreSQL)", () => {
  let app: AppProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-e2e-"));
    fs.chmodSync(dataDir, 0o755);
    app = await startApp({ LOOPSCOPE_DATA_DIR: dataDir, LOOPSCOPE_PG_PORT: String(await freePort()), DATABASE_URL: "" });
  });

  afterAll(async () => {
    if (app?.child.exitCode === null) await app.stop("SIGKILL");
  });

  it("serves health, readiness and Prometheus metrics", async () => {
    expect((await fetch(`${app.url}/api/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/api/readyz`);
    expect(ready.status).toBe(200);
    for (const route of ["/metrics", "/api/metrics"]) {
      const res = await fetch(app.url + route);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds \S+$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total \S+$/m);
    }
  });

  it("shows the app's status on the home page in Chromium", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(app.url, { waitUntil: "networkidle" });
      await page.getByTestId("readiness").filter({ hasText: "ready" }).waitFor();
      expect(await page.getByTestId("readiness").textContent()).toBe("ready");
      expect(await page.getByTestId("database").textContent()).toMatch(/^embedded PostgreSQL \d+\.\d+/);
      await page.screenshot({ path: screenshotPath("home-status"), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("restarts its PostgreSQL when the postmaster is killed; readiness says so meanwhile", async () => {
    const pidFile = path.join(dataDir, "pg", "postmaster.pid");
    const postmaster = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
    process.kill(postmaster, "SIGKILL");
    let sawOutage = "";
    const deadline = Date.now() + 90_000;
    for (;;) {
      const res = await fetch(`${app.url}/api/readyz`);
      const body = (await res.json()) as { status: string; reason?: string };
      if (res.status === 503) sawOutage ||= body.reason ?? "";
      if (res.status === 200 && sawOutage) break;
      if (Date.now() > deadline) throw new Error(`readiness did not come back after the postmaster was killed:\n${app.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sawOutage).toMatch(/^database (unavailable: embedded PostgreSQL exited \(signal SIGKILL\) and is being restarted|unreachable)/);
    expect(app.output()).toMatch(/embedded PostgreSQL exited unexpectedly; restarting it/);
    expect(app.output()).toMatch(/embedded PostgreSQL restarted/);
    expect(Number(fs.readFileSync(pidFile, "utf8").split("\n")[0])).not.toBe(postmaster);
  });

  it("refuses a second Loopscope on the same data folder at once, leaving the first one running", async () => {
    const ports = { PORT: String(await freePort()), LOOPSCOPE_PG_PORT: String(await freePort()) };
    const { status, stderr } = startToExit({ ...ports, LOOPSCOPE_DATA_DIR: dataDir, DATABASE_URL: "", LOOPSCOPE_LOG_LEVEL: "error" });
    expect(status).toBe(1);
    expect(stderr).toMatch(/Loopscope could not start: The data folder .* is in use by another Loopscope \(pid \d+ on .*\)\. Stop that one first/);
    expect(postgresProcessesFor(dataDir).length).toBeGreaterThan(0);
    expect((await fetch(`${app.url}/api/readyz`)).status).toBe(200);
  });

  it("stops on SIGTERM with exit 0 within 10 s and leaves no Postgres behind", async () => {
    expect(postgresProcessesFor(dataDir).length).toBeGreaterThan(0);
    const { code, ms } = await app.stop("SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });

  it("keeps its data across a restart and recovers from a killed process's postmaster", async () => {
    const second = await startApp({ LOOPSCOPE_DATA_DIR: dataDir, LOOPSCOPE_PG_PORT: String(await freePort()), DATABASE_URL: "" });
    expect(second.output()).not.toMatch(/initialising embedded PostgreSQL/);
    expect(second.output()).not.toMatch(/migrations applied/);
    await second.stop("SIGKILL");
    expect(postgresProcessesFor(dataDir).length).toBeGreaterThan(0);
    const third = await startApp({ LOOPSCOPE_DATA_DIR: dataDir, LOOPSCOPE_PG_PORT: String(await freePort()), DATABASE_URL: "" });
    expect(third.output()).toMatch(/orphaned embedded PostgreSQL/);
    expect((await fetch(`${third.url}/api/readyz`)).status).toBe(200);
    expect((await third.stop("SIGTERM")).code).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });
});

describe("bad configuration", () => {
  it("refuses to start with a message naming the variable, value and expectation", () => {
    const { status, stderr } = startToExit({ PORT: "70000", LOOPSCOPE_RETENTION: "forever" });
    expect(status).toBe(2);
    expect(stderr).toMatch(/PORT="70000" is invalid/);
    expect(stderr).toMatch(/LOOPSCOPE_RETENTION="forever" is invalid: expected a duration/);
  });

  it("stops cleanly with a clear message when a setting is found bad while wiring (unknown demo fault)", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-e2e-bad-"));
    fs.chmodSync(dataDir, 0o755);
    const { status, stderr } = startToExit({ DATABASE_URL: "", PORT: String(await freePort()), LOOPSCOPE_PG_PORT: String(await freePort()), LOOPSCOPE_DATA_DIR: dataDir, LOOPSCOPE_DEMO_SCHEDULE: "meteor" });
    expect(status).toBe(1);
    expect(stderr).toMatch(/LOOPSCOPE_DEMO_SCHEDULE: unknown fault "meteor"/);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });
});
