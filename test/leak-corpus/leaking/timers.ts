import { EventEmitter } from "node:events";
import net from "node:net";
import { setInterval as namedSetInterval } from "node:timers";
import type { CorpusEnv, LeakScenario } from "../scenario";

const tick = () => undefined;

function keep(env: CorpusEnv, timer: NodeJS.Timeout): NodeJS.Timeout {
  env.cleanup.add(() => clearInterval(timer));
  return timer;
}

/** A poller a reconcile starts and nothing ever stops. */
class ResourceWatcher {
  private readonly timer: NodeJS.Timeout;
  constructor(readonly key: string) {
    this.timer = setInterval(tick, 30_000);
  }
  dispose(): void {
    clearInterval(this.timer);
  }
}

const cachedTimers = new Map<string, NodeJS.Timeout>();

export const timerLeaks: LeakScenario[] = [
  {
    name: "interval-never-cleared",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      keep(env, setInterval(tick, 10_000));
    },
  },
  {
    name: "interval-cleared-on-event-never-emitted",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      const timer = keep(env, setInterval(tick, 5_000));
      env.bus.once("shutdown", () => clearInterval(timer));
    },
  },
  {
    name: "long-timeout-never-cleared",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      keep(env, setTimeout(tick, 3_600_000));
    },
  },
  {
    name: "polling-loop-never-stopped",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      let stopped = false;
      let timer: NodeJS.Timeout;
      const poll = () => {
        if (!stopped) timer = setTimeout(poll, 200);
      };
      poll();
      env.cleanup.add(() => {
        stopped = true;
        clearTimeout(timer);
      });
    },
  },
  {
    name: "interval-overwritten-in-cache",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      // The previous interval for the same object is replaced without being cleared.
      cachedTimers.set("default/singleton", keep(env, setInterval(tick, 15_000)));
    },
  },
  {
    name: "watcher-without-dispose",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env, round) {
      const watcher = new ResourceWatcher(`key-${round}`);
      env.parked.push(watcher);
      env.cleanup.add(() => watcher.dispose());
    },
  },
  {
    name: "interval-started-after-io",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      const response = await fetch(`${env.httpBase}/ok`);
      await response.json();
      keep(env, setInterval(tick, 20_000));
    },
  },
  {
    name: "interval-from-then-callback",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      await Promise.resolve("status").then(() => keep(env, setInterval(tick, 8_000)));
    },
  },
  {
    name: "interval-from-event-listener",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      const ready = new EventEmitter();
      ready.once("ready", () => keep(env, setInterval(tick, 12_000)));
      ready.emit("ready");
    },
  },
  {
    name: "retry-loop-that-never-succeeds",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const attempt = () => {
        if (stopped) return;
        const socket = net.connect(env.closedPort, "127.0.0.1");
        socket.on("error", () => {
          socket.destroy();
          if (!stopped) timer = setTimeout(attempt, 300);
        });
      };
      attempt();
      env.cleanup.add(() => {
        stopped = true;
        clearTimeout(timer);
      });
    },
  },
  {
    name: "interval-via-named-import",
    leaks: true,
    expectedTypes: ["Timeout"],
    async reconcile(env) {
      keep(env, namedSetInterval(tick, 25_000));
    },
  },
  {
    name: "immediate-chain-throttled",
    leaks: true,
    expectedTypes: ["Timeout", "Immediate"],
    async reconcile(env) {
      // A "yield to the loop" worker that never finishes: immediate, then a pause, forever.
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      const step = () => {
        if (!stopped) timer = setTimeout(() => (immediate = setImmediate(step)), 250);
      };
      step();
      env.cleanup.add(() => {
        stopped = true;
        clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
      });
    },
  },
];
