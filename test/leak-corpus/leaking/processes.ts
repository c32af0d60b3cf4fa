import { type ChildProcess, exec, spawn } from "node:child_process";
import type { CorpusEnv, LeakScenario } from "../scenario";

function keep(env: CorpusEnv, child: ChildProcess): void {
  child.on("error", () => undefined);
  env.cleanup.add(() => child.kill("SIGKILL"));
}

export const processLeaks: LeakScenario[] = [
  {
    name: "spawned-child-never-killed",
    leaks: true,
    expectedTypes: ["ProcessWrap"],
    minPeriodMs: 150,
    async reconcile(env) {
      keep(env, spawn("sleep", ["600"], { stdio: "ignore" }));
    },
  },
  {
    name: "exec-child-never-killed",
    leaks: true,
    expectedTypes: ["ProcessWrap"],
    minPeriodMs: 150,
    async reconcile(env) {
      keep(
        env,
        exec("exec sleep 600", () => undefined),
      );
    },
  },
];
