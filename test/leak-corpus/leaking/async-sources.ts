import { once } from "node:events";
import { setInterval as intervalTicks, setTimeout as sleepFor } from "node:timers/promises";
import type { CorpusEnv, LeakScenario } from "../scenario";

/** An abort signal for something a scenario leaves running; the corpus aborts it at the end. */
function abortedAtEnd(env: CorpusEnv): AbortSignal {
  const controller = new AbortController();
  env.cleanup.add(() => controller.abort());
  return controller.signal;
}

/** A watch loop over `node:timers/promises` setInterval that waits for a stop nobody sends. */
async function pollUntilStopped(env: CorpusEnv, everyMs: number): Promise<void> {
  const ticks = intervalTicks(everyMs, undefined, { signal: abortedAtEnd(env) });
  void (async () => {
    try {
      for await (const _ of ticks) {
        // polls forever: nothing ever breaks out
      }
    } catch {
      // aborted at the end of the run
    }
  })();
}

/** timers/promises, EventEmitter and AbortSignal leaks. */
export const asyncSourceLeaks: LeakScenario[] = [
  {
    name: "timer-promise-never-settles",
    leaks: true,
    expectedTypes: ["TimerPromise"],
    async reconcile(env) {
      sleepFor(3_600_000, undefined, { signal: abortedAtEnd(env) }).catch(() => undefined);
    },
  },
  {
    name: "interval-iterator-never-finished",
    leaks: true,
    expectedTypes: ["IntervalIterator"],
    async reconcile(env) {
      await pollUntilStopped(env, 60_000);
    },
  },
  {
    name: "interval-iterator-fast-poll-never-finished",
    leaks: true,
    expectedTypes: ["IntervalIterator"],
    async reconcile(env) {
      await pollUntilStopped(env, 200);
    },
  },
  {
    name: "bus-listener-never-removed",
    leaks: true,
    expectedTypes: ["Listener"],
    async reconcile(env, round) {
      const onShutdown = () => env.parked.push(round);
      env.bus.on("shutdown", onShutdown);
    },
  },
  {
    name: "bus-once-listener-never-fired",
    leaks: true,
    expectedTypes: ["Listener"],
    async reconcile(env, round) {
      void once(env.bus, "never").then(() => env.parked.push(round));
    },
  },
  {
    name: "abort-listener-on-lifetime-signal",
    leaks: true,
    expectedTypes: ["Listener"],
    async reconcile(env, round) {
      env.lifetime.signal.addEventListener("abort", () => env.parked.push(round));
    },
  },
];
