import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./app-process";

/** Go programs built by scripts/build-go-fixtures.sh (module and build caches in .cache/go). */
const root = path.resolve(import.meta.dirname, "../..");
export const GO_BIN = path.join(root, ".cache/go/bin");

/** Builds the Go test programs if any is missing (seconds when cached; minutes on a cold cache). */
export async function ensureGoPrograms(): Promise<void> {
  if (["go-operator", "go-leaker", "pprof"].every((name) => existsSync(path.join(GO_BIN, name)))) return;
  await promisify(execFile)("bash", [path.join(root, "scripts/build-go-fixtures.sh")], { cwd: root, timeout: 900_000 });
}

export interface RunningProgram {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `binary` (a name under GO_BIN, or an absolute path) with `args`; resolves once `readyLine` appears on stdout or stderr. */
export async function startGoProgram(
  binary: string,
  args: string[],
  readyLine: RegExp,
  timeoutMs = 60_000,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningProgram> {
  const child = spawn(path.isAbsolute(binary) ? binary : path.join(GO_BIN, binary), args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let output = "";
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} did not get ready in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (readyLine.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited with ${code}:\n${output}`));
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return { child, output: () => output, stop };
}

/** The controller-runtime operator on free ports: its metrics, pprof and leak-switch URLs. */
export async function startGoOperator(options: { reconcileEveryMs?: number; leak?: boolean } = {}) {
  const [metrics, pprof, control] = await Promise.all([freePort(), freePort(), freePort()]);
  const program = await startGoProgram(
    "go-operator",
    [
      `-metrics-bind-address=127.0.0.1:${metrics}`,
      `-pprof-bind-address=127.0.0.1:${pprof}`,
      `-control-address=127.0.0.1:${control}`,
      `-reconcile-every=${options.reconcileEveryMs ?? 200}ms`,
      `-leak=${options.leak === true}`,
    ],
    /Starting workers[\s\S]*control=|control=[\s\S]*Starting workers/,
  );
  const controlUrl = `http://127.0.0.1:${control}/leak`;
  return {
    ...program,
    metricsUrl: `http://127.0.0.1:${metrics}/metrics`,
    pprofUrl: `http://127.0.0.1:${pprof}/debug/pprof/`,
    async setLeaking(on: boolean): Promise<{ leaking: boolean; reconciles: number }> {
      const response = await fetch(`${controlUrl}?on=${on}`, { method: "POST" });
      return (await response.json()) as { leaking: boolean; reconciles: number };
    },
  };
}
