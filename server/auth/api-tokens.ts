import { createHash, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { isRole, type Principal, type Role } from "./principal";

/**
 * API tokens for scripts and CI: `lst_<name>_<32 random base64url chars>`, sent as
 * `Authorization: Bearer <token>`. Only a bcrypt hash is configured, in
 * LOOPSCOPE_API_TOKENS="name:role:hash,…" (mint one with `npm run -s auth -- token <name> <role>`).
 * The name in the token picks the one hash to compare against; verified tokens are cached
 * (by SHA-256) for a few minutes so bcrypt runs once, not per request.
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

export class ApiTokenVerifier {
  private readonly byName: Map<string, ApiTokenEntry>;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    entries: readonly ApiTokenEntry[],
    private readonly now: () => number = Date.now,
    private readonly cacheMs = 5 * 60_000,
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

  async verify(token: string): Promise<Principal | null> {
    const match = TOKEN.exec(token);
    const entry = match ? this.byName.get(match[1]) : undefined;
    if (!entry) return null;
    const digest = createHash("sha256").update(token).digest("base64url");
    const cached = this.cache.get(digest);
    if (cached && cached.until > this.now()) return cached.principal;
    if (!(await bcrypt.compare(token, entry.hash))) return null;
    const principal: Principal = { name: entry.name, role: entry.role, via: "token" };
    if (this.cache.size > 1_000) this.cache.clear();
    this.cache.set(digest, { principal, until: this.now() + this.cacheMs });
    return principal;
  }
}
