import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeakTracker } from "../../../server/leaks/leak-tracker";
import { Cleanup, reconcileOf, SkewClock, sleep, waitFor } from "../../leak-corpus/harness";

const GRACE = 1_000;
const cleanup = new Cleanup();
const held = new Set<net.Socket>();
let tcp: net.Server;
let web: http.Server;
let tcpPort: number;
let webPort: number;
let tempDir: string;
let tracker: LeakTracker | undefined;

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-leak-test-"));
  fs.writeFileSync(path.join(tempDir, "data"), "x".repeat(1024));
  tcp = net.createServer((socket) => {
    held.add(socket);
    socket.on("close", () => held.delete(socket));
  });
  web = http.createServer((_request, response) => response.end("{}"));
  await Promise.all([tcp, web].map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))));
  tcpPort = portOf(tcp);
  webPort = portOf(web);
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  web.closeAllConnections();
  await Promise.all([tcp, web].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  fs.rmSync(tempDir, { recursive: true, force: true });
});

afterEach(async () => {
  await tracker?.stop();
  tracker = undefined;
  await cleanup.run();
});

async function manualTracker(clock: SkewClock): Promise<LeakTracker> {
  tracker = new LeakTracker({
    graceMs: GRACE,
    stackSampleRate: 1,
    countIntervalMs: 3_600_000,
    sampleIntervalMs: 3_600_000,
    // Samples come a second apart: the trend test over 3.5 s (4 samples), risen within 2 s.
    growth: { windowsMs: [3_500], recentMs: 2_000 },
    registry: new Registry(),
    now: clock.now,
  });
  await tracker.start();
  return tracker;
}

async function reconcileAndSample(t: LeakTracker, clock: SkewClock, controller: string, rounds: number, reconcile: () => Promise<void>): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await t.trackReconcile(reconcileOf(controller, `default/object-${round}`), reconcile);
    clock.advance(GRACE);
    t.sample();
  }
}

function connected(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
}

describe("leaks through real loopback I/O", () => {
  it("blames a reconcile that leaks a TCP socket to a loopback server", async () => {
    const clock = new SkewClock();
    const t = await manualTracker(clock);
    await reconcileAndSample(t, clock, "services", 5, async () => {
      const socket = net.connect(tcpPort, "127.0.0.1"); // LEAK-SOCKET
      cleanup.add(() => socket.destroy());
      await connected(socket);
    });
    const suspects = t.suspects();
    expect(suspects.map((g) => [g.type, g.count, g.controllers[0]?.controller])).toEqual([["TCPSocketWrap", 5, "services"]]);
    expect(suspects[0].topFrame).toMatch(/test\/integration\/leaks\/loopback-leaks\.test\.ts:\d+:\d+/);
    expect(suspects[0].sampleKeys.length).toBeGreaterThan(0);
  });

  it("does not blame sockets that are closed, or parked in a keep-alive agent's pool", async () => {
    const clock = new SkewClock();
    const t = await manualTracker(clock);
    const agent = new http.Agent({ keepAlive: true });
    cleanup.add(() => agent.destroy());
    await reconcileAndSample(t, clock, "services", 5, async () => {
      const socket = net.connect(tcpPort, "127.0.0.1");
      await connected(socket);
      socket.destroy();
      await new Promise<void>((resolve, reject) => {
        http.get({ host: "127.0.0.1", port: webPort, agent }, (response) => response.resume().on("end", resolve)).on("error", reject);
      });
      await (await fetch(`http://127.0.0.1:${webPort}/`)).text();
    });
    expect(Object.keys(agent.freeSockets)).toHaveLength(1);
    expect(t.suspects()).toEqual([]);
    // fetch's pooled client does its work in callbacks of the reconcile that created it, so a
    // snapshot can catch one of its sockets or immediates mid-request: listed, never growing.
    const groups = t.groupList();
    expect(groups.filter((g) => g.growing || g.count > 1)).toEqual([]);
    expect(groups.filter((g) => g.topFrame?.includes("loopback-leaks.test.ts"))).toEqual([]);
  });

  it("blames leaked servers, child processes and file handles, each with its type", async () => {
    const clock = new SkewClock();
    const t = await manualTracker(clock);
    let round = 0;
    await reconcileAndSample(t, clock, "jobs", 5, async () => {
      round += 1;
      const server = net.createServer().listen(0, "127.0.0.1");
      cleanup.add(() => server.close());
      await new Promise((resolve) => server.once("listening", resolve));
      const child = spawn("sleep", ["600"], { stdio: "ignore" });
      cleanup.add(() => child.kill("SIGKILL"));
      const handle = await fs.promises.open(path.join(tempDir, "data"), "r");
      cleanup.add(() => handle.close());
      const fd = fs.openSync(path.join(tempDir, "data"), "r");
      cleanup.add(() => fs.closeSync(fd));
      const log = fs.createWriteStream(path.join(tempDir, `log-${round}`));
      cleanup.add(() => log.destroy());
      await new Promise((resolve) => log.once("open", resolve));
    });
    const types = t
      .suspects()
      .map((g) => `${g.type}:${g.count}`)
      .sort();
    expect(types).toEqual(["FileDescriptor:5", "FileDescriptor:5", "FileHandle:5", "ProcessWrap:5", "TCPServerWrap:5"]);
  });

  it("does not blame servers, children and files that are closed", async () => {
    const clock = new SkewClock();
    const t = await manualTracker(clock);
    await reconcileAndSample(t, clock, "jobs", 5, async () => {
      const server = net.createServer().listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      await new Promise((resolve) => server.close(resolve));
      const child = spawn("true", [], { stdio: "ignore" });
      await new Promise((resolve) => child.once("exit", resolve));
      const handle = await fs.promises.open(path.join(tempDir, "data"), "r");
      await handle.close();
      await new Promise<void>((resolve, reject) =>
        fs.open(path.join(tempDir, "data"), "r", (error, fd) => (error ? reject(error) : fs.close(fd, () => resolve()))),
      );
      for await (const _chunk of fs.createReadStream(path.join(tempDir, "data"))) {
        // consume
      }
    });
    expect(t.groupList()).toEqual([]);
  });

  it("finds a leak on its own timers and exports it on /metrics", async () => {
    const registry = new Registry();
    tracker = new LeakTracker({ graceMs: 100, sampleIntervalMs: 50, countIntervalMs: 50, stackSampleRate: 1, registry });
    await tracker.start();
    const t = tracker;
    const leak = async () => {
      for (let i = 0; i < 24; i++) {
        await t.trackReconcile(reconcileOf("secrets", `default/s-${i}`), async () => {
          const timer = setInterval(() => undefined, 60_000);
          cleanup.add(() => clearInterval(timer));
        });
        await sleep(60);
      }
    };
    await leak();
    await waitFor(() => t.suspects().length > 0, "a suspect group");
    const exposition = await registry.metrics();
    expect(exposition).toMatch(/loopscope_leak_suspects\{controller="secrets",type="Timeout"\} \d+/);
    expect(exposition).toMatch(/loopscope_active_resources\{type="Timeout"\} \d+/);
    expect(exposition).toContain("loopscope_leak_tracker_dropped_total 0");
    expect(t.activeResources().length).toBeGreaterThan(0);
  });
});
