import pino from "pino";

/** The process-wide structured logger. Secrets must never be passed to it. */
export const log = pino({
  level: process.env.LOOPSCOPE_LOG_LEVEL ?? "info",
  base: { app: "loopscope" },
  redact: { paths: ["*.url", "*.token", "*.password", "*.secret", "*.authorization"], censor: "[redacted]" },
});

export type Logger = pino.Logger;
