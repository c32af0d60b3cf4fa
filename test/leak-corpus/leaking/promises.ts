import { once } from "node:events";
import type { LeakScenario } from "../scenario";

export const promiseLeaks: LeakScenario[] = [
  {
    name: "promise-parked-forever",
    leaks: true,
    deep: true,
    expectedTypes: ["PROMISE"],
    async reconcile(env) {
      env.parked.push(new Promise<void>(() => undefined));
    },
  },
  {
    name: "promise-awaiting-event-never-emitted",
    leaks: true,
    deep: true,
    expectedTypes: ["PROMISE"],
    async reconcile(env) {
      // Nobody awaits it, but the bus listener keeps it (and its closure) alive forever.
      void once(env.bus, "never").catch(() => undefined);
    },
  },
  {
    name: "promise-waiting-for-abort-never-aborted",
    leaks: true,
    deep: true,
    expectedTypes: ["PROMISE"],
    async reconcile(env) {
      void new Promise<void>((resolve) => env.lifetime.signal.addEventListener("abort", () => resolve(), { once: true }));
    },
  },
];
