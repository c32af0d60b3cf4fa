import { createHash, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { FailedAuthentications, tooManyFailures } from "./failed-authentications";
import { HASH_QUEUE_FULL, HashQueue } from "./hash-queue";
import { OffThreadBcrypt } from "./off-thread-bcrypt";
import { isRole, type Principal, type Role } from "./principal";

/**
 * API tokens for scripts and CI: `lst_<name>_<32 random base64url chars>`, sent as
 * `Authorization: Bearer <token>`. Only a bcrypt hash is configured, in
 * LOOPSCOPE_API_TOKENS="name:role:hash,…" (mint one with `npm run -s auth -- token <name> <role>`).
 * The name in the token picks the one hash to compare against; verified tokens are cached
 * (by SHA-256, expiry renewed on use) so bcrypt runs once, not per request. A malformed token
 * or an unknown name costs a regular expression; a token that already failed is remembered
 * (bounded); and failures are limited per token name and per client address
 * ({@link FailedAuthentications}), so a flood of bogus tokens costs a few bcrypt hashes a minute.
 */
export interface ApiTokenEntry {
  name: string;
  role: Role;
  hash: string;
}

const NAME = /^[A-Za-z0-9-]{1,40}$/;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const TOKEN = /^lst_([A-Za-z0-9-]{1,40})_([A-Za-z0-9_-]{32})$/;

export function isBcryptHash(text: string): boolean {
  return BCRYPT.test(text);
}

/** Parses LOOPSCOPE_API_TOKENS; returns entries or the problems found (never echoing hashes). */
export function parseApiTokens(text: string | undefined): { entries: ApiTokenEntry[]; problems: string[] } {
  const entries: ApiTokenEntry[] = [];
  const problems: string[] = [];
  if (!text) return { entries, problems };
  text.split(",").forEach((raw, index) => {
    const item = raw.trim();
    if (!item) return;
    const [name, role, hash, ...rest] = item.split(":");
    if (rest.length > 0 || !name || !role || !hash) problems.push(`LOOPSCOPE_API_TOKENS entry ${index + 1} is invalid: expected name:role:bcrypt-hash`);
    else if (!NAME.test(name)) problems.push(`LOOPSCOPE_API_TOKENS entry ${index + 1} has an invalid name "${name}": expected letters, digits and '-' (at most 40)`);
    else if (!isRole(role)) problems.push(`LOOPSCOPE_API_TOKENS entry "${name}" has an invalid role "${role}": expected viewer or editor`);
    else if (!isBcryptHash(hash)) problems.push(`LOOPSCOPE_API_TOKENS entry "${name}" is invalid: expected a bcrypt hash ($2b$…)`);
    else if (entries.some((e) => e.name === name)) problems.push(`LOOPSCOPE_API_TOKENS names "${name}" twice`);
    else entries.push({ name, role, hash });
  });
  return { entries, problems };
}

/** A new token and the configuration entry that accepts it. */
export function mintApiToken(name: string, role: Role, rounds = 10): { token: string; entry: string } {
  if (!NAME.test(name)) throw new Error(`Token name "${name}" is invalid: use letters, digits and '-' (at most 40).`);
  const token = `lst_${name}_${randomBytes(24).toString("base64url")}`;
  return { token, entry: `${name}:${role}:${bcrypt.hashSync(token, rounds)}` };
}

/** A refused check; `retryAfterMs` when it was refused for a limit (too many failures, too many checks at once), not for the token. */
export type TokenCheck = { principal: Principal } | { principal: null; reason: string; retryAfterMs?: number };

const FAILED_CACHE_SIZE = 10_000;

export class ApiTokenVerifier {
  private readonly byName: Map<string, ApiTokenEntry>;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  /** Digests of tokens that failed, oldest first (a Map keeps insertion order). */
  private readonly failed = new Map<string, true>();

  constructor(
    entries: readonly ApiTokenEntry[],
    private readonly now: () => number = Date.now,
    private readonly cacheMs = 5 * 60_000,
    private readonly failures: FailedAuthentications = new FailedAuthentications(10, now),
    private readonly hashes: HashQueue = new HashQueue(),
    private readonly bcryptWorker: Pick<OffThreadBcrypt, "compare"> = new OffThreadBcrypt(),
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  get size(): number {
    return this.byName.size;
  }

  /** Says whether `token` could be one of ours at all (cheap; no bcrypt). */
  knows(token: string): boolean {
    const match = TOKEN.exec(token);
    return match !== null && this.byName.has(match[1]);
  }

  async verify(token: string, address?: string): Promise<Principal | null> {
    return (await this.check(token, address)).principal;
  }

  /** Verifies a token presented from `address` (the client's IP); says why when refused. */
  async check(token: string, address?: string): Promise<TokenCheck> {
    const invalid: TokenCheck = { principal: null, reason: "invalid API token" };
    const match = token.length <= 100 ? TOKEN.exec(token) : null;
    const entry = match ? this.byName.get(match[1]) : undefined;
    if (!entry) return invalid;
    const digest = createHash("sha256").update(token).digest("base64url");
    const cached = this.cache.get(digest);
    if (cached && cached.until > this.now()) {
      cached.until = this.now() + this.cacheMs;
      return { principal: cached.principal };
    }
    if (this.failed.has(digest)) return invalid;
    const account = `token:${entry.name}`;
    const refusal = this.failures.admit(account, address);
    if (refusal) return { principal: null, reason: tooManyFailures(refusal), retryAfterMs: refusal.retryAfterMs };
    // Refused without an answer (the queue is full, or the bcrypt worker failed): not counted as a failure.
    const matched = await this.hashes.run(() => this.bcryptWorker.compare(token, entry.hash))?.catch(() => undefined);
    if (matched === undefined) {
      this.failures.succeeded(account, address);
      return { principal: null, reason: HASH_QUEUE_FULL, retryAfterMs: 1_000 };
    }
    if (!matched) {
      if (this.failed.size >= FAILED_CACHE_SIZE) this.failed.delete(this.failed.keys().next().value as string);
      this.failed.set(digest, true);
      return invalid;
    }
    this.failures.succeeded(account, address);
    const principal: Principal = { name: entry.name, role: entry.role, via: "token" };
    if (this.cache.size > 1_000) this.cache.clear();
    this.cache.set(digest, { principal, until: this.now() + this.cacheMs });
    return { principal };
  }
}
