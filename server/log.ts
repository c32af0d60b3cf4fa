import { format } from "node:util";
import pino from "pino";
import pretty from "pino-pretty";

export type LogFormat = "json" | "pretty";

/** LOOPSCOPE_LOG_FORMAT: `auto` (the default) is readable lines on a terminal and JSON otherwise. */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): LogFormat {
  const wanted = env.LOOPSCOPE_LOG_FORMAT;
  if (wanted === "json" || wanted === "pretty") return wanted;
  return isTTY ? "pretty" : "json";
}

const options: pino.LoggerOptions = {
  level: process.env.LOOPSCOPE_LOG_LEVEL ?? "info",
  base: { app: "loopscope" },
  redact: { paths: ["*.url", "*.token", "*.password", "*.secret", "*.authorization"], censor: "[redacted]" },
};

/** The process-wide structured logger. Secrets must never be passed to it. */
export const log =
  logFormat() === "pretty"
    ? pino(options, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname,app" }))
    : pino(options);

export type Logger = pino.Logger;

/** Text without terminal colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * In JSON mode, what libraries print with console.log/info/warn (Next.js's "✓ …" lines)
 * becomes JSON log lines too, so stdout stays one JSON object per line. console.error
 * (stderr) is left alone.
 */
export function routeConsoleToLog(): void {
  if (logFormat() !== "json") return;
  const target = log.child({ component: "console" });
  const text = (args: unknown[]) => stripAnsi(format(...args)).trim();
  console.log = (...args: unknown[]) => target.info(text(args));
  console.info = console.log;
  console.warn = (...args: unknown[]) => target.warn(text(args));
}
