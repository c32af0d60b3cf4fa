import dgram from "node:dgram";
import { EventEmitter, once } from "node:events";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import timersPromises from "node:timers/promises";
import { BroadcastChannel, MessageChannel, Worker } from "node:worker_threads";
import zlib from "node:zlib";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeakTracker } from "../../../server/leaks/leak-tracker";
import type { TrackedType } from "../../../server/leaks/resource-types";
import { Cleanup, reconcileOf, SkewClock } from "../../leak-corpus/harness";
import { GRACE, manualTrackerOptions } from "./manual-tracker";

const ROUNDS = 5;
const cleanup = new Cleanup();
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-kinds-"));
const watchedFile = path.join(tempDir, "watched.txt");
fs.writeFileSync(watchedFile, "x");
const bus = new EventEmitter().setMaxListeners(0);
const lifetime = new AbortController();
bus.on("warm-up", () => undefined);
lifetime.signal.addEventListener("abort", () => undefined);
let tracker: LeakTracker | undefined;

afterEach(async () => {
  await tracker?.stop();
  tracker = undefined;
  await cleanup.run();
});
// Loopback HTTP for fetch: `/big` is larger than a fetch body's buffer, `/hang` never answers.
const hanging = new Set<http.ServerResponse>();
const big = "x".repeat(1 << 20);
const web = http.createServer((req, res) => {
  if (req.url === "/hang") hanging.add(res);
  else res.end(big);
});
let webBase = "";
const unread: Response[] = [];
beforeAll(async () => {
  await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
  webBase = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});
afterAll(async () => {
  fs.rmSync(tempDir, { recursive: true, force: true });
  for (const res of hanging) res.destroy();
  web.closeAllConnections();
  await new Promise((resolve) => web.close(resolve));
});

/** Runs `reconcile` ROUNDS times under a tracker sampled one grace period apart; returns the suspect types. */
async function suspectTypesOf(reconcile: (round: number) => Promise<void>): Promise<string[]> {
  const clock = new SkewClock();
  tracker = new LeakTracker(manualTrackerOptions(clock, new Registry()));
  await tracker.start();
  for (let round = 0; round < ROUNDS; round++) {
    await tracker.trackReconcile(reconcileOf("kinds", `default/object-${round}`), () => reconcile(round));
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(GRACE);
    tracker.sample();
  }
  return tracker.suspects().map((group) => group.type);
}

const originalMessageChannel = MessageChannel;
const workerSource = "setInterval(() => undefined, 60000)";

interface Kind {
  type: TrackedType;
  what: string;
  leak(round: number): Promise<void>;
  clean(round: number): Promise<void>;
}

const kinds: Kind[] = [
  {
    type: "FetchResponse",
    what: "a fetch whose response body is never read",
    async leak() {
      const response = await fetch(`${webBase}/big`);
      unread.push(response);
      cleanup.add(() => response.body?.cancel());
    },
    async clean() {
      // Three at once and read: the keep-alive pool keeps their connections open, no leak.
      await Promise.all([1, 2, 3].map(async () => (await fetch(`${webBase}/big`)).arrayBuffer()));
      await (await fetch(`${webBase}/big`)).body?.cancel();
    },
  },
  {
    type: "FetchResponse",
    what: "a fetch that is never answered",
    async leak() {
      const controller = new AbortController();
      fetch(`${webBase}/hang`, { signal: controller.signal }).catch(() => undefined);
      cleanup.add(() => controller.abort());
    },
    async clean() {
      const controller = new AbortController();
      const request = fetch(`${webBase}/hang`, { signal: controller.signal }).catch(() => undefined);
      controller.abort();
      await request;
    },
  },
  {
    type: "TimerPromise",
    what: "a timers/promises setTimeout that never fires",
    async leak() {
      const controller = new AbortController();
      timersPromises.setTimeout(3_600_000, undefined, { signal: controller.signal }).catch(() => undefined);
      cleanup.add(() => controller.abort());
    },
    async clean() {
      await timersPromises.setTimeout(1);
      await timersPromises.setImmediate();
    },
  },
  {
    type: "IntervalIterator",
    what: "a timers/promises setInterval iterator never finished",
    async leak() {
      const controller = new AbortController();
      const ticks = timersPromises.setInterval(60_000, undefined, { signal: controller.signal });
      ticks.next().catch(() => undefined);
      cleanup.add(() => controller.abort());
    },
    async clean() {
      let n = 0;
      for await (const _ of timersPromises.setInterval(1)) if (++n === 2) break;
    },
  },
  {
    type: "UDPSocket",
    what: "a dgram socket never closed",
    async leak() {
      const socket = dgram.createSocket("udp4");
      socket.bind(0, "127.0.0.1");
      cleanup.add(() => socket.close());
    },
    async clean() {
      // Closed through the callback, before it was ever bound.
      const socket = dgram.createSocket({ type: "udp6" });
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  },
  {
    type: "FSWatcher",
    what: "an fs.watch watcher never closed",
    async leak() {
      const watcher = fs.watch(tempDir, () => undefined);
      cleanup.add(() => watcher.close());
    },
    async clean() {
      const watcher = fs.watch(tempDir, () => undefined);
      watcher.close();
    },
  },
  {
    type: "StatWatcher",
    what: "an fs.watchFile never unwatched",
    async leak(round) {
      const file = path.join(tempDir, `leak-${round}.txt`);
      fs.writeFileSync(file, "x");
      fs.watchFile(file, { interval: 60_000 }, () => undefined);
      cleanup.add(() => fs.unwatchFile(file));
    },
    async clean() {
      const listener = () => undefined;
      fs.watchFile(watchedFile, { interval: 60_000 }, listener);
      fs.unwatchFile(watchedFile, listener);
    },
  },
  {
    type: "MessagePort",
    what: "a MessageChannel never closed",
    async leak() {
      const channel = new MessageChannel();
      channel.port2.on("message", () => undefined);
      cleanup.add(() => channel.port1.close());
    },
    async clean() {
      const channel = new MessageChannel();
      channel.port2.on("message", () => undefined);
      channel.port1.postMessage("hello");
      channel.port1.close();
      await once(channel.port1, "close");
    },
  },
  {
    type: "BroadcastChannel",
    what: "a BroadcastChannel never closed",
    async leak(round) {
      const channel = new BroadcastChannel(`kinds-${round}`);
      cleanup.add(() => channel.close());
    },
    async clean(round) {
      const channel = new BroadcastChannel(`kinds-clean-${round}`);
      channel.postMessage("hello");
      channel.close();
    },
  },
  {
    type: "Worker",
    what: "a worker thread never terminated",
    async leak() {
      const worker = new Worker(workerSource, { eval: true });
      cleanup.add(() => worker.terminate());
    },
    async clean() {
      const worker = new Worker(workerSource, { eval: true });
      await worker.terminate();
    },
  },
  {
    type: "Listener",
    what: "an EventEmitter listener added to a long-lived bus and never removed",
    async leak() {
      const onShutdown = () => undefined;
      bus.on("shutdown", onShutdown);
      cleanup.add(() => bus.off("shutdown", onShutdown));
    },
    async clean() {
      const onShutdown = () => undefined;
      bus.on("shutdown", onShutdown);
      await Promise.resolve();
      bus.off("shutdown", onShutdown);
      const own = new EventEmitter();
      own.on("data", () => undefined);
      own.on("end", () => undefined);
    },
  },
  {
    type: "Listener",
    what: "an AbortSignal listener added to a long-lived signal and never removed",
    async leak() {
      const onAbort = () => undefined;
      lifetime.signal.addEventListener("abort", onAbort);
      cleanup.add(() => lifetime.signal.removeEventListener("abort", onAbort));
    },
    async clean() {
      const onAbort = () => undefined;
      lifetime.signal.addEventListener("abort", onAbort);
      lifetime.signal.removeEventListener("abort", onAbort);
    },
  },
  {
    type: "Stream",
    what: "a zlib stream never ended or destroyed",
    async leak() {
      const gzip = zlib.createGzip();
      gzip.write("pending");
      cleanup.add(() => gzip.destroy());
    },
    async clean() {
      const gzip = zlib.createGzip();
      const chunks: Buffer[] = [];
      gzip.on("data", (chunk: Buffer) => chunks.push(chunk));
      gzip.end("done");
      await once(gzip, "close");
    },
  },
];

describe("interception of further leak sources", () => {
  it("keeps objects made before installation instances of the replaced classes", async () => {
    const before = new MessageChannel();
    const channel = new BroadcastChannel("kinds-before");
    const worker = new Worker(workerSource, { eval: true });
    cleanup.add(() => worker.terminate());
    cleanup.add(() => channel.close());
    cleanup.add(() => before.port1.close());
    await suspectTypesOf(async () => undefined);
    const threads = (await import("node:worker_threads")).default;
    expect(threads.MessageChannel).not.toBe(originalMessageChannel);
    expect(before instanceof threads.MessageChannel).toBe(true);
    expect(channel instanceof threads.BroadcastChannel).toBe(true);
    expect(worker instanceof threads.Worker).toBe(true);
  });

  for (const kind of kinds) {
    it(`finds ${kind.what} (${kind.type})`, async () => {
      expect(await suspectTypesOf(kind.leak)).toContain(kind.type);
    });
    it(`does not blame the closed look-alike of ${kind.what}`, async () => {
      expect(await suspectTypesOf(kind.clean)).toEqual([]);
    });
  }
});
