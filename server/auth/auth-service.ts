import { createHash, hkdfSync } from "node:crypto";
import { ApiTokenVerifier } from "./api-tokens";
import { serializeCookie } from "./cookies";
import { csrfProblem } from "./csrf";
import { FailedAuthentications, tooManyFailures } from "./failed-authentications";
import { HASH_QUEUE_FULL, HashQueue } from "./hash-queue";
import { OffThreadBcrypt } from "./off-thread-bcrypt";
import { bearerToken, type HeaderLookup, PEER_HEADER, parseCookies } from "./headers";
import { hostAllowed } from "./host-policy";
import { LOCAL_EDITOR, type Principal } from "./principal";
import { proxyIdentity } from "./proxy-identity";
import { RateLimiter } from "./rate-limiter";
import { MemoryRevocations, type SessionRevocations } from "./session-revocations";
import { CSRF_COOKIE, csrfToken, SESSION_COOKIE, sameSecret, signSession, verifySession } from "./session-cookie";
import type { AuthSettings } from "./settings";


/**
 * Why a request has no principal: nothing presented, or something presented and refused;
 * `retryAfterMs` when it was refused for a limit rather than for the credential (answered 429 with Retry-After).
 */
export type Authentication = { principal: Principal } | { principal: null; reason: string; retryAfterMs?: number };

/** Derives the session HMAC key from the process's secret key (so it survives restarts without new settings). */
export function deriveSessionKey(secretKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", secretKey, Buffer.alloc(0), "loopscope session cookies v1", 32));
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Authentication of this process: who a request is (session cookie, bearer token, proxy
 * headers, or the local user), logins and logouts, CSRF checks and endpoint tokens. Provided
 * as the `auth` service so Next's route bundles (tRPC, health, metrics) use the same instance.
 */
export class AuthService {
  readonly mode: AuthSettings["mode"];
  readonly loginLimiter: RateLimiter;
  /** Failed sign-ins and API tokens, per account and per address (LOOPSCOPE_AUTH_FAILURE_LIMIT). */
  readonly failures: FailedAuthentications;
  /** One bcrypt check at a time, for tokens and the password hash alike, on a worker thread. */
  private readonly hashes = new HashQueue();
  private readonly bcrypt = new OffThreadBcrypt();
  readonly maxBodyBytes: number;
  private readonly tokens: ApiTokenVerifier;
  private revocations: SessionRevocations;

  constructor(
    private readonly settings: AuthSettings,
    private readonly key: Buffer | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.mode = settings.mode;
    this.maxBodyBytes = settings.maxBodyBytes;
    this.revocations = new MemoryRevocations(now);
    this.failures = new FailedAuthentications(settings.authFailureLimitPerMinute, now);
    this.tokens = new ApiTokenVerifier(settings.apiTokens, now, undefined, this.failures, this.hashes, this.bcrypt);
    this.loginLimiter = new RateLimiter(settings.loginRateLimitPerMinute, 60_000, now);
    if (settings.mode !== "none" && !key) throw new Error("an authentication mode needs a session key");
  }

  get enabled(): boolean {
    return this.mode !== "none";
  }

  get passwordLogin(): boolean {
    return this.mode === "password" && this.settings.admin !== undefined;
  }

  /** The request gate's per-client limits. */
  get limits(): Pick<AuthSettings, "maxTrpcBatch" | "maxConcurrentPerClient"> {
    return { maxTrpcBatch: this.settings.maxTrpcBatch, maxConcurrentPerClient: this.settings.maxConcurrentPerClient };
  }

  /** bcrypt compares run so far (tokens and password): what failed authentications have cost. */
  get credentialChecks(): number {
    return this.bcrypt.checks;
  }

  get proxySettings(): AuthSettings["proxy"] {
    return this.settings.proxy;
  }

  async authenticate(lookup: HeaderLookup): Promise<Authentication> {
    if (this.mode === "none") return { principal: LOCAL_EDITOR };
    const bearer = bearerToken(lookup);
    if (bearer !== undefined) return this.tokens.check(bearer, lookup(PEER_HEADER));
    if (this.mode === "proxy") {
      const identity = proxyIdentity(lookup, this.settings.proxy);
      if (identity.kind === "ok") return { principal: identity.principal };
      if (identity.kind === "refused") return { principal: null, reason: `${identity.user} is in no viewer or editor group` };
      return { principal: null, reason: "no identity from the authenticating proxy" };
    }
    const cookie = parseCookies(lookup("cookie")).get(SESSION_COOKIE);
    if (cookie === undefined) return { principal: null, reason: "not signed in" };
    const check = verifySession(this.requireKey(), cookie, this.now());
    if (!check.ok) return { principal: null, reason: check.reason === "expired" ? "session expired" : "invalid session" };
    if (await this.revocations.isRevoked(check.payload.sid)) return { principal: null, reason: "signed out" };
    const { sub, role, sid } = check.payload;
    return { principal: { name: sub, role, via: "session", csrfSubject: `session:${sid}`, sessionId: sid } };
  }

  /** The reason a state-changing request of `principal` is refused as cross-site, or null. */
  mutationProblem(lookup: HeaderLookup, principal: Principal): string | null {
    return csrfProblem(lookup, principal, this.key, this.settings.allowedOrigins, this.settings.hosts);
  }

  /** Whether a request's Host header names this Loopscope (DNS-rebinding defence); checked before anything else. */
  hostAllowed(hostHeader: string | undefined): boolean {
    return hostAllowed(this.settings.hosts, hostHeader);
  }

  /**
   * Checks the admin credentials from client `address`; on success returns the principal and
   * the Set-Cookie values. Past the failure limit of the account or the address it refuses
   * without checking (`refused`, with when to retry).
   */
  async login(user: string, password: string, secure: boolean, address?: string): Promise<{ principal: Principal; cookies: string[] } | { refused: string; retryAfterMs: number } | null> {
    const admin = this.settings.admin;
    if (this.mode !== "password" || !admin) return null;
    const account = `user:${user.toLowerCase().slice(0, 64)}`;
    const refusal = this.failures.admit(account, address);
    if (refusal) return { refused: tooManyFailures(refusal), retryAfterMs: refusal.retryAfterMs };
    const userOk = sameSecret(user, admin.user);
    let passwordOk = admin.password !== undefined && sha256(password).equals(sha256(admin.password));
    if (admin.passwordHash) {
      const hash = admin.passwordHash;
      const matched = await this.hashes.run(() => this.bcrypt.compare(password, hash))?.catch(() => undefined);
      if (matched === undefined) {
        this.failures.succeeded(account, address);
        return { refused: HASH_QUEUE_FULL, retryAfterMs: 1_000 };
      }
      passwordOk = matched;
    }
    if (!userOk || !passwordOk) return null;
    this.failures.succeeded(account, address);
    const { value, payload } = signSession(this.requireKey(), { sub: admin.user, role: "editor" }, this.now(), this.settings.sessionTtlMs);
    const principal: Principal = { name: admin.user, role: "editor", via: "session", csrfSubject: `session:${payload.sid}`, sessionId: payload.sid };
    const maxAge = this.settings.sessionTtlMs / 1000;
    return {
      principal,
      cookies: [
        serializeCookie(SESSION_COOKIE, value, { maxAgeSeconds: maxAge, httpOnly: true, sameSite: "Lax", secure }),
        serializeCookie(CSRF_COOKIE, csrfToken(this.requireKey(), principal.csrfSubject as string), { maxAgeSeconds: maxAge, httpOnly: false, sameSite: "Strict", secure }),
      ],
    };
  }

  /**
   * Where sign-outs are kept: in memory until the database is up, then PostgreSQL (shared by
   * replicas, kept across restarts), set once by the wiring.
   */
  keepSignOutsIn(store: SessionRevocations): void {
    this.revocations = store;
  }

  /** Revokes the session of `principal` (until it would have expired) and returns cookie-clearing values. */
  async logout(principal: Principal | null, secure: boolean): Promise<string[]> {
    if (principal?.sessionId) await this.revocations.revoke(principal.sessionId, this.now() + this.settings.sessionTtlMs);
    return [
      serializeCookie(SESSION_COOKIE, "", { maxAgeSeconds: 0, httpOnly: true, sameSite: "Lax", secure }),
      serializeCookie(CSRF_COOKIE, "", { maxAgeSeconds: 0, httpOnly: false, sameSite: "Strict", secure }),
    ];
  }

  /** The CSRF cookie a proxy-authenticated browser needs (sessions get theirs at login). */
  csrfCookieFor(principal: Principal, lookup: HeaderLookup, secure: boolean): string | undefined {
    if (principal.via !== "proxy" || principal.csrfSubject === undefined) return undefined;
    const token = csrfToken(this.requireKey(), principal.csrfSubject);
    if (parseCookies(lookup("cookie")).get(CSRF_COOKIE) === token) return undefined;
    return serializeCookie(CSRF_COOKIE, token, { maxAgeSeconds: 12 * 3600, httpOnly: false, sameSite: "Strict", secure });
  }

  /** Whether a /metrics or health request may proceed: open when no token is configured. */
  endpointAllowed(kind: "metrics" | "health", lookup: HeaderLookup): boolean {
    return endpointTokenOk(kind === "metrics" ? this.settings.metricsToken : this.settings.healthToken, lookup);
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error("no session key");
    return this.key;
  }
}

/** Open when `expected` is unset; otherwise `Authorization: Bearer <expected>` is required. */
export function endpointTokenOk(expected: string | undefined, lookup: HeaderLookup): boolean {
  if (!expected) return true;
  const given = bearerToken(lookup);
  return given !== undefined && sha256(given).equals(sha256(expected));
}
