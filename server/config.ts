import path from "node:path";
import { z } from "zod";
import { durationText } from "../shared/duration";

/**
 * Every Loopscope setting is an environment variable. `loadConfig` validates all of
 * them at start and fails with one message per bad variable (name, value, expectation).
 */
const boolean = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** Durations in Prometheus's syntax (shared/duration.ts), as milliseconds. */
const duration = durationText();

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
  LOOPSCOPE_PG_RUNTIME_DIR: z.string().min(1).default("/var/lib/loopscope"),
  LOOPSCOPE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOOPSCOPE_LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
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
  LOOPSCOPE_GOROUTINE_INTERVAL: duration.default(30_000),
  LOOPSCOPE_GOROUTINE_RETENTION: duration.default(7 * 86_400_000),
  LOOPSCOPE_GOROUTINE_BLOCKED_MINUTES: z.coerce.number().int().min(1).max(10_080).default(10),
  LOOPSCOPE_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "64 hex characters (a 32-byte key)")
    .optional(),
  LOOPSCOPE_PUBLIC_URL: z.string().url().optional(),
  /** Allow cloud metadata endpoints (and link-local addresses) as scrape or webhook targets. */
  LOOPSCOPE_ALLOW_METADATA_TARGETS: boolean.default(false),
  /** @deprecated the old, misleading name of LOOPSCOPE_ALLOW_METADATA_TARGETS (it never governed private addresses). */
  LOOPSCOPE_ALLOW_PRIVATE_TARGETS: boolean.default(false),
  LOOPSCOPE_TARGETS_FILE: z.string().min(1).optional(),
  LOOPSCOPE_TARGETS: z.string().min(1).optional(),
  LOOPSCOPE_SKIP_BUILD: boolean.default(false),
  LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS: boolean.default(false),
  LOOPSCOPE_LEADER_ELECTION: z.enum(["auto", "on", "off"]).default("auto"),
  LOOPSCOPE_LEASE_NAME: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "a Kubernetes object name (lowercase, digits, - and .)").default("loopscope"),
  LOOPSCOPE_LEASE_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a Kubernetes namespace name").optional(),
  LOOPSCOPE_REPLICA_ID: z.string().min(1).max(253).optional(),
  /** Scrape sharding across replicas sharing one database (server/scrape/scrape-shards.ts). */
  LOOPSCOPE_SCRAPE_SHARDING: z.enum(["off", "on"]).default("off"),
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
  // Hardening (issue 17): sample limits at the edge (server/ingest), hosts, request limits.
  LOOPSCOPE_SAMPLE_MAX_AGE: duration.default(86_400_000),
  LOOPSCOPE_SAMPLE_MAX_FUTURE: duration.default(600_000),
  LOOPSCOPE_LABEL_LIMIT: z.coerce.number().int().min(0).max(10_000).default(64),
  LOOPSCOPE_LABEL_NAME_LENGTH_LIMIT: z.coerce.number().int().min(0).max(1_048_576).default(256),
  LOOPSCOPE_LABEL_VALUE_LENGTH_LIMIT: z.coerce.number().int().min(0).max(1_048_576).default(4_096),
  LOOPSCOPE_ALLOWED_HOSTS: z.string().min(1).optional(),
  LOOPSCOPE_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(10),
  LOOPSCOPE_TRPC_MAX_BATCH: z.coerce.number().int().min(1).max(1_000).default(16),
  LOOPSCOPE_MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(0).max(100_000).default(32),
  /** Remote write (server/remote-write): samples accepted and not yet committed, at most (503 beyond). */
  LOOPSCOPE_REMOTE_WRITE_BUFFER_SAMPLES: z.coerce.number().int().min(1_000).max(100_000_000).default(500_000),
  LOOPSCOPE_SCRAPE_SAMPLE_LIMIT: z.coerce.number().int().min(1).max(10_000_000).default(200_000),
  /** Expensive-query admission (server/query/query-admission.ts). */
  LOOPSCOPE_QUERY_EXPENSIVE_COST: z.coerce.number().int().min(1).default(200_000),
  LOOPSCOPE_QUERY_EXPENSIVE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  LOOPSCOPE_QUERY_EXPENSIVE_QUEUE: z.coerce.number().int().min(0).max(1_000).default(2),
  LOOPSCOPE_QUERY_EXPENSIVE_PER_CLIENT: z.coerce.number().int().min(1).max(1_000).default(2),
  // A Prometheus-compatible data source (server/prometheus): Prometheus, Thanos, Mimir, VictoriaMetrics.
  LOOPSCOPE_PROMETHEUS_URL: z
    .string()
    .url("an http:// or https:// URL of a Prometheus-compatible HTTP API (the part before /api/v1)")
    .regex(/^https?:\/\//i, "an http:// or https:// URL")
    .optional(),
  LOOPSCOPE_PROMETHEUS_BEARER_TOKEN_FILE: z.string().min(1).optional(),
  LOOPSCOPE_PROMETHEUS_BASIC_AUTH_USER: z.string().regex(/^[^:\r\n]{1,256}$/, "a user name without ':' or line breaks").optional(),
  LOOPSCOPE_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE: z.string().min(1).optional(),
  // May carry secrets (API keys): checked in server/prometheus/settings.ts, whose messages never echo values.
  LOOPSCOPE_PROMETHEUS_HEADERS: z.string().optional(),
  LOOPSCOPE_PROMETHEUS_CA_FILE: z.string().min(1).optional(),
  LOOPSCOPE_PROMETHEUS_TIMEOUT: duration.refine((ms) => ms >= 1_000 && ms <= 600_000, "a duration between 1s and 10m").default(30_000),
  LOOPSCOPE_PROMETHEUS_MAX_RESPONSE_BYTES: z.coerce.number().int().min(65_536).max(1_073_741_824).default(67_108_864),
  LOOPSCOPE_PROMETHEUS_SCRAPE_INTERVAL: duration.refine((ms) => ms >= 1_000, "a duration of at least 1s").default(30_000),
  LOOPSCOPE_PROMETHEUS_CONTROLLER_LABELS: z
    .string()
    .regex(/^\s*[a-zA-Z_][a-zA-Z0-9_]*(\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*)*\s*$/, "a comma-separated list of label names, e.g. job,namespace or cluster,job,namespace")
    .default("job,namespace"),
  LOOPSCOPE_PROMETHEUS_DISCOVERY_INTERVAL: duration.refine((ms) => ms >= 1_000, "a duration of at least 1s").default(30_000),
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

/** The URL a person opens: LOOPSCOPE_PUBLIC_URL, else HOST:PORT (loopback when bound to every address). */
export function dashboardUrl(config: Pick<LoopscopeConfig, "HOST" | "PORT" | "LOOPSCOPE_PUBLIC_URL">): string {
  if (config.LOOPSCOPE_PUBLIC_URL) return config.LOOPSCOPE_PUBLIC_URL;
  const host = config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST === "::" ? "[::1]" : config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}
