import dgram from "node:dgram";
import { EventEmitter, once } from "node:events";
import fs from "node:fs";
import { setInterval as intervalTicks, setImmediate as nextTurn, setTimeout as sleepFor } from "node:timers/promises";
import { BroadcastChannel, MessageChannel, Worker } from "node:worker_threads";
import zlib from "node:zlib";
import { IDLE_WORKER, SMALL_WORKER } from "./leaking/handles";
import type { LeakScenario } from "./scenario";

/** The closed twins of the fetch-body, timers/promises, listener, dgram, watcher, channel, worker and stream leaks. */
export const closedLookAlikes: LeakScenario[] = [
  {
    name: "fetch-response-body-cancelled",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const response = await fetch(`${env.httpBase}/big`);
      await response.body?.cancel();
    },
  },
  {
    name: "fetch-large-body-read",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const response = await fetch(`${env.httpBase}/big`);
      await response.arrayBuffer();
    },
  },
  {
    name: "timer-promise-awaited",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await sleepFor(5);
      await nextTurn();
    },
  },
  {
    name: "timer-promise-aborted",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      const controller = new AbortController();
      const wait = sleepFor(3_600_000, undefined, { signal: controller.signal }).catch(() => undefined);
      controller.abort();
      await wait;
    },
  },
  {
    name: "interval-iterator-broken-out",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      let ticks = 0;
      for await (const _ of intervalTicks(5)) if (++ticks === 3) break;
    },
  },
  {
    name: "bus-listener-removed",
    leaks: false,
    expectedTypes: [],
    async reconcile(env, round) {
      const onShutdown = () => env.parked.push(round);
      env.bus.on("shutdown", onShutdown);
      await Promise.resolve();
      env.bus.off("shutdown", onShutdown);
    },
  },
  {
    name: "bus-once-listener-fired",
    leaks: false,
    expectedTypes: [],
    async reconcile(env, round) {
      const event = `synced-${round}`;
      const synced = once(env.bus, event);
      env.bus.emit(event);
      await synced;
    },
  },
  {
    name: "listeners-on-own-emitter",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      const local = new EventEmitter();
      local.on("item", () => undefined);
      local.once("done", () => undefined);
      local.emit("item");
    },
  },
  {
    name: "abort-listener-removed",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      const onAbort = () => undefined;
      const signal = AbortSignal.timeout(60_000);
      signal.addEventListener("abort", onAbort);
      signal.removeEventListener("abort", onAbort);
    },
  },
  {
    name: "udp-socket-closed",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      const socket = dgram.createSocket("udp4");
      socket.bind(0, "127.0.0.1");
      await once(socket, "listening");
      socket.close();
      await once(socket, "close");
    },
  },
  {
    name: "fs-watch-closed",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const watcher = fs.watch(env.tempDir, () => undefined);
      watcher.close();
    },
  },
  {
    name: "fs-watchfile-unwatched",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const listener = () => undefined;
      fs.watchFile(env.dataFile, { interval: 60_000 }, listener);
      fs.unwatchFile(env.dataFile, listener);
    },
  },
  {
    name: "message-channel-closed",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      const channel = new MessageChannel();
      const reply = once(channel.port2, "message");
      channel.port1.postMessage({ kind: "sync" });
      await reply;
      channel.port1.close();
      await once(channel.port1, "close");
    },
  },
  {
    name: "broadcast-channel-closed",
    leaks: false,
    expectedTypes: [],
    async reconcile(_env, round) {
      const channel = new BroadcastChannel(`corpus-clean-${round}`);
      channel.postMessage("hello");
      channel.close();
    },
  },
  {
    name: "worker-terminated",
    leaks: false,
    expectedTypes: [],
    minPeriodMs: 1_000,
    async reconcile() {
      const worker = new Worker(IDLE_WORKER, SMALL_WORKER);
      await once(worker, "online");
      await worker.terminate();
    },
  },
  {
    name: "gzip-stream-ended",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      const gzip = zlib.createGzip();
      gzip.resume();
      gzip.end(JSON.stringify({ kind: "Pod" }));
      await once(gzip, "close");
    },
  },
];
