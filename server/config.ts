import path from "node:path";
import { z } from "zod";

/**
 * Every Loopscope setting is an environment variable. `loadConfig` validates all of
 * them at start and fails with one message per bad variable (name, value, expectation).
 */
const boolean = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, "a duration such as 500ms, 5s, 10m, 12h or 7d")
  .transform(parseDuration);

export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration such as 5s, 10m or 7d`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "ms" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

const port = z.coerce.number().int().min(1).max(65535);

export const configSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "a postgresql:// connection URL")
    .optional(),
  LOOPSCOPE_DATA_DIR: z.string().min(1).default(".data"),
  LOOPSCOPE_PG_PORT: port.default(54329),
  LOOPSCOPE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOOPSCOPE_SCRAPE_INTERVAL: duration.default(5_000),
  LOOPSCOPE_BUFFER_SAMPLES: z.coerce.number().int().min(1_000).default(1_000_000),
  LOOPSCOPE_RETENTION: duration.default(7 * 86_400_000),
  LOOPSCOPE_SOURCE: z.enum(["auto", "demo", "kubernetes", "none"]).default("auto"),
  LOOPSCOPE_DEMO_SCHEDULE: z.string().min(1).default("all"),
  LOOPSCOPE_DEMO_SEED: z.coerce.number().int().default(42),
  LOOPSCOPE_DEMO_TIME_SCALE: z.coerce.number().min(0.01).max(1000).default(1),
  LOOPSCOPE_DEMO_EVENT_RATE: z.coerce.number().min(0).max(100_000).optional(),
  LOOPSCOPE_WATCH_KINDS: z.string().min(1).default("pods,deployments,nodes"),
  LOOPSCOPE_WATCH_NAMESPACE: z.string().min(1).optional(),
  LOOPSCOPE_WATCH_RESYNC: duration.default(600_000),
  LOOPSCOPE_WATCH_STALL_AFTER: duration.default(300_000),
  LOOPSCOPE_WORKERS: z.coerce.number().int().min(1).max(1024).default(4),
  LOOPSCOPE_LEAK_GRACE: duration.default(30_000),
  LOOPSCOPE_LEAK_STACK_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.1),
  LOOPSCOPE_LEAK_MAX_TRACKED: z.coerce.number().int().min(100).default(50_000),
  LOOPSCOPE_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "64 hex characters (a 32-byte key)")
    .optional(),
  LOOPSCOPE_PUBLIC_URL: z.string().url().optional(),
  LOOPSCOPE_ALLOW_PRIVATE_TARGETS: boolean.default(false),
  LOOPSCOPE_TARGETS_FILE: z.string().min(1).optional(),
  LOOPSCOPE_TARGETS: z.string().min(1).optional(),
  LOOPSCOPE_SKIP_BUILD: boolean.default(false),
  LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS: boolean.default(false),
  LOOPSCOPE_LEADER_ELECTION: z.enum(["auto", "on", "off"]).default("auto"),
  LOOPSCOPE_LEASE_NAME: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "a Kubernetes object name (lowercase, digits, - and .)").default("loopscope"),
  LOOPSCOPE_LEASE_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a Kubernetes namespace name").optional(),
  LOOPSCOPE_REPLICA_ID: z.string().min(1).max(253).optional(),
  LOOPSCOPE_LEASE_DURATION: duration.default(15_000),
  LOOPSCOPE_LEASE_RENEW_DEADLINE: duration.default(10_000),
  LOOPSCOPE_LEASE_RETRY_PERIOD: duration.default(2_000),
  POD_NAME: z.string().min(1).optional(),
  // Authentication and HTTP hardening (server/auth, server/http).
  LOOPSCOPE_AUTH: z.enum(["none", "password", "proxy"]).optional(),
  LOOPSCOPE_ADMIN_USER: z.string().regex(/^[^\s:]{1,64}$/, "a user name without spaces or ':'").default("admin"),
  // Secret-bearing values are checked in server/auth/settings.ts, whose messages never echo them.
  LOOPSCOPE_ADMIN_PASSWORD: z.string().optional(),
  LOOPSCOPE_ADMIN_PASSWORD_HASH: z.string().optional(),
  LOOPSCOPE_API_TOKENS: z.string().optional(),
  LOOPSCOPE_SESSION_KEY: z.string().optional(),
  LOOPSCOPE_SESSION_TTL: duration.default(12 * 3_600_000),
  LOOPSCOPE_LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000).default(5),
  LOOPSCOPE_AUTH_PROXY_USER_HEADERS: z.string().min(1).default("x-forwarded-user,x-forwarded-email"),
  LOOPSCOPE_AUTH_PROXY_GROUPS_HEADER: z.string().min(1).default("x-forwarded-groups"),
  LOOPSCOPE_AUTH_PROXY_EDITOR_GROUPS: z.string().min(1).optional(),
  LOOPSCOPE_AUTH_PROXY_VIEWER_GROUPS: z.string().min(1).optional(),
  LOOPSCOPE_AUTH_PROXY_TRUSTED: z.string().min(1).default("127.0.0.1,::1"),
  LOOPSCOPE_METRICS_TOKEN: z.string().optional(),
  LOOPSCOPE_HEALTH_TOKEN: z.string().optional(),
  LOOPSCOPE_MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(100 * 1_048_576).default(1_048_576),
});

export type LoopscopeConfig = z.output<typeof configSchema> & { dataDir: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): LoopscopeConfig {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== "")
      .map((key) => [key, env[key]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const value = known[name];
      return `${name}=${JSON.stringify(value)} is invalid: expected ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  return { ...parsed.data, dataDir: path.resolve(cwd, parsed.data.LOOPSCOPE_DATA_DIR) };
}
