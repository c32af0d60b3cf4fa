import { isIP } from "node:net";
import { ConfigError, type LoopscopeConfig } from "../config";
import { type ApiTokenEntry, isBcryptHash, parseApiTokens } from "./api-tokens";
import { type HostPolicy, parseHostPolicy } from "./host-policy";
import type { ProxySettings } from "./proxy-identity";

/** The validated authentication settings of this process (from LOOPSCOPE_AUTH and friends). */
export interface AuthSettings {
  /** `none`: no authentication (loopback, or explicitly disabled) — everyone is editor. */
  mode: "none" | "password" | "proxy";
  admin?: { user: string; password?: string; passwordHash?: string };
  apiTokens: ApiTokenEntry[];
  /** 32-byte HMAC key from LOOPSCOPE_SESSION_KEY; unset: derived from the secret key at start. */
  sessionKeyHex?: string;
  sessionTtlMs: number;
  loginRateLimitPerMinute: number;
  /** Failed authentications per minute per account and per address before attempts are refused unchecked. */
  authFailureLimitPerMinute: number;
  /** Procedures in one tRPC batch request at most. */
  maxTrpcBatch: number;
  /** Requests in flight per client address at most (0 = no limit). */
  maxConcurrentPerClient: number;
  proxy: ProxySettings;
  metricsToken?: string;
  healthToken?: string;
  maxBodyBytes: number;
  /** Origins a browser may send mutations from besides the request's own host (LOOPSCOPE_PUBLIC_URL). */
  allowedOrigins: string[];
  /** Host headers served (LOOPSCOPE_ALLOWED_HOSTS, LOOPSCOPE_PUBLIC_URL, loopback names, IP literals). */
  hosts: HostPolicy;
}

export type AuthConfig = Pick<
  LoopscopeConfig,
  | "HOST"
  | "LOOPSCOPE_AUTH"
  | "LOOPSCOPE_ADMIN_USER"
  | "LOOPSCOPE_ADMIN_PASSWORD"
  | "LOOPSCOPE_ADMIN_PASSWORD_HASH"
  | "LOOPSCOPE_API_TOKENS"
  | "LOOPSCOPE_SESSION_KEY"
  | "LOOPSCOPE_SESSION_TTL"
  | "LOOPSCOPE_LOGIN_RATE_LIMIT"
  | "LOOPSCOPE_AUTH_FAILURE_LIMIT"
  | "LOOPSCOPE_TRPC_MAX_BATCH"
  | "LOOPSCOPE_MAX_CONCURRENT_REQUESTS"
  | "LOOPSCOPE_AUTH_PROXY_USER_HEADERS"
  | "LOOPSCOPE_AUTH_PROXY_GROUPS_HEADER"
  | "LOOPSCOPE_AUTH_PROXY_EDITOR_GROUPS"
  | "LOOPSCOPE_AUTH_PROXY_VIEWER_GROUPS"
  | "LOOPSCOPE_AUTH_PROXY_TRUSTED"
  | "LOOPSCOPE_METRICS_TOKEN"
  | "LOOPSCOPE_HEALTH_TOKEN"
  | "LOOPSCOPE_MAX_BODY_BYTES"
  | "LOOPSCOPE_PUBLIC_URL"
  | "LOOPSCOPE_ALLOWED_HOSTS"
>;

/** 127.0.0.0/8, ::1 and `localhost`; 0.0.0.0 and :: (all interfaces) are not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (h.startsWith("::ffff:")) return isLoopbackHost(h.slice(7));
  return isIP(h) === 4 && h.startsWith("127.");
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const HEADER_NAME = /^[a-z0-9-]{1,64}$/;

/**
 * Validates the authentication settings. Unset LOOPSCOPE_AUTH means `password` when a
 * password, hash or API tokens are given, else `none`. `none` is allowed on a non-loopback
 * HOST only when LOOPSCOPE_AUTH=none is set explicitly. Throws ConfigError (exit 2);
 * messages name variables but never echo secret values.
 */
export function loadAuthSettings(config: AuthConfig): AuthSettings {
  const problems: string[] = [];
  const password = config.LOOPSCOPE_ADMIN_PASSWORD || undefined;
  const passwordHash = config.LOOPSCOPE_ADMIN_PASSWORD_HASH || undefined;
  if (password !== undefined && password.length < 8) problems.push("LOOPSCOPE_ADMIN_PASSWORD is too short: expected at least 8 characters");
  if (passwordHash !== undefined && !isBcryptHash(passwordHash)) problems.push("LOOPSCOPE_ADMIN_PASSWORD_HASH is invalid: expected a bcrypt hash ($2b$10$…, 60 characters)");
  if (password !== undefined && passwordHash !== undefined) problems.push("LOOPSCOPE_ADMIN_PASSWORD and LOOPSCOPE_ADMIN_PASSWORD_HASH are both set: set one");
  const tokens = parseApiTokens(config.LOOPSCOPE_API_TOKENS);
  problems.push(...tokens.problems);
  const sessionKey = config.LOOPSCOPE_SESSION_KEY || undefined;
  if (sessionKey !== undefined && !/^[0-9a-fA-F]{64}$/.test(sessionKey)) problems.push("LOOPSCOPE_SESSION_KEY is invalid: expected 64 hex characters (a 32-byte key)");
  for (const name of ["LOOPSCOPE_METRICS_TOKEN", "LOOPSCOPE_HEALTH_TOKEN"] as const) {
    const token = config[name];
    if (token && (token.length < 16 || /\s/.test(token))) problems.push(`${name} is invalid: expected at least 16 characters without spaces`);
  }

  const hasCredentials = password !== undefined || passwordHash !== undefined || tokens.entries.length > 0;
  const mode = config.LOOPSCOPE_AUTH ?? (hasCredentials ? "password" : "none");
  if (mode === "password" && password === undefined && passwordHash === undefined && tokens.entries.length === 0) {
    problems.push("LOOPSCOPE_AUTH=password needs LOOPSCOPE_ADMIN_PASSWORD, LOOPSCOPE_ADMIN_PASSWORD_HASH or LOOPSCOPE_API_TOKENS");
  }
  if (mode === "none" && config.LOOPSCOPE_AUTH === undefined && !isLoopbackHost(config.HOST)) {
    problems.push(
      `HOST=${JSON.stringify(config.HOST)} is not a loopback address, so authentication is required: set LOOPSCOPE_AUTH=password with LOOPSCOPE_ADMIN_PASSWORD_HASH (or LOOPSCOPE_API_TOKENS), or LOOPSCOPE_AUTH=proxy behind an authenticating proxy; LOOPSCOPE_AUTH=none turns authentication off explicitly`,
    );
  }

  const userHeaders = list(config.LOOPSCOPE_AUTH_PROXY_USER_HEADERS).map((h) => h.toLowerCase());
  const groupsHeader = config.LOOPSCOPE_AUTH_PROXY_GROUPS_HEADER.trim().toLowerCase();
  for (const h of [...userHeaders, groupsHeader]) {
    if (!HEADER_NAME.test(h)) problems.push(`LOOPSCOPE_AUTH_PROXY_* header name "${h}" is invalid: expected a header name such as x-forwarded-user`);
  }
  const trustedPeers = list(config.LOOPSCOPE_AUTH_PROXY_TRUSTED);
  for (const peer of trustedPeers) {
    const [base, bits] = peer.split("/");
    const ok = bits === undefined ? isIP(base) !== 0 : isIP(base) === 4 && /^\d{1,2}$/.test(bits) && Number(bits) <= 32;
    if (!ok) problems.push(`LOOPSCOPE_AUTH_PROXY_TRUSTED entry "${peer}" is invalid: expected an IP address or an IPv4 CIDR such as 10.0.0.0/8`);
  }
  const hosts = parseHostPolicy(config.LOOPSCOPE_ALLOWED_HOSTS, config.LOOPSCOPE_PUBLIC_URL);
  problems.push(...hosts.problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    mode,
    admin: password !== undefined || passwordHash !== undefined ? { user: config.LOOPSCOPE_ADMIN_USER, password, passwordHash } : undefined,
    apiTokens: tokens.entries,
    sessionKeyHex: sessionKey,
    sessionTtlMs: config.LOOPSCOPE_SESSION_TTL,
    loginRateLimitPerMinute: config.LOOPSCOPE_LOGIN_RATE_LIMIT,
    authFailureLimitPerMinute: config.LOOPSCOPE_AUTH_FAILURE_LIMIT,
    maxTrpcBatch: config.LOOPSCOPE_TRPC_MAX_BATCH,
    maxConcurrentPerClient: config.LOOPSCOPE_MAX_CONCURRENT_REQUESTS,
    proxy: {
      userHeaders,
      groupsHeader,
      editorGroups: list(config.LOOPSCOPE_AUTH_PROXY_EDITOR_GROUPS),
      viewerGroups: list(config.LOOPSCOPE_AUTH_PROXY_VIEWER_GROUPS),
      trustedPeers,
    },
    metricsToken: config.LOOPSCOPE_METRICS_TOKEN || undefined,
    healthToken: config.LOOPSCOPE_HEALTH_TOKEN || undefined,
    maxBodyBytes: config.LOOPSCOPE_MAX_BODY_BYTES,
    allowedOrigins: config.LOOPSCOPE_PUBLIC_URL ? [new URL(config.LOOPSCOPE_PUBLIC_URL).origin] : [],
    hosts: hosts.policy,
  };
}
