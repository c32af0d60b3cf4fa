import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import { BroadcastChannel, MessageChannel, Worker } from "node:worker_threads";
import zlib from "node:zlib";
import type { LeakScenario } from "../scenario";

/** A worker that idles until terminated. */
export const IDLE_WORKER = "setInterval(() => undefined, 60000)";
export const SMALL_WORKER = { eval: true, resourceLimits: { maxOldGenerationSizeMb: 16 } } as const;

/** dgram, fs watchers, message channels, workers and zlib streams that are never closed. */
export const handleLeaks: LeakScenario[] = [
  {
    name: "udp-socket-never-closed",
    leaks: true,
    expectedTypes: ["UDPSocket"],
    async reconcile(env) {
      const socket = dgram.createSocket("udp4");
      socket.bind(0, "127.0.0.1");
      env.cleanup.add(() => socket.close());
    },
  },
  {
    name: "fs-watch-never-closed",
    leaks: true,
    expectedTypes: ["FSWatcher"],
    async reconcile(env) {
      const watcher = fs.watch(env.tempDir, () => undefined);
      env.cleanup.add(() => watcher.close());
    },
  },
  {
    name: "fs-watchfile-never-unwatched",
    leaks: true,
    expectedTypes: ["StatWatcher"],
    async reconcile(env, round) {
      const file = path.join(env.tempDir, `watched-${round}.txt`);
      fs.writeFileSync(file, "x");
      fs.watchFile(file, { interval: 60_000 }, () => undefined);
      env.cleanup.add(() => fs.unwatchFile(file));
    },
  },
  {
    name: "message-channel-never-closed",
    leaks: true,
    expectedTypes: ["MessagePort"],
    async reconcile(env) {
      const channel = new MessageChannel();
      channel.port2.on("message", () => undefined);
      channel.port1.postMessage({ kind: "sync" });
      env.cleanup.add(() => channel.port1.close());
    },
  },
  {
    name: "broadcast-channel-never-closed",
    leaks: true,
    expectedTypes: ["BroadcastChannel"],
    async reconcile(env, round) {
      const channel = new BroadcastChannel(`corpus-leak-${round}`);
      env.cleanup.add(() => channel.close());
    },
  },
  {
    name: "worker-never-terminated",
    leaks: true,
    expectedTypes: ["Worker"],
    minPeriodMs: 500,
    async reconcile(env) {
      const worker = new Worker(IDLE_WORKER, SMALL_WORKER);
      worker.on("error", () => undefined);
      env.cleanup.add(() => worker.terminate());
    },
  },
  {
    name: "gzip-stream-never-ended",
    leaks: true,
    expectedTypes: ["Stream"],
    async reconcile(env) {
      const gzip = zlib.createGzip();
      gzip.write(JSON.stringify({ kind: "Pod" }));
      env.parked.push(gzip);
      env.cleanup.add(() => gzip.destroy());
    },
  },
];
