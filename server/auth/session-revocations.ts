import type { PrismaClient } from "../store/prisma";

/**
 * Where signed-out sessions are remembered until they would have expired. In memory until
 * the database is up; then in PostgreSQL (`revoked_sessions`), so a signed-out cookie is
 * refused by every replica and after restarts.
 */
export interface SessionRevocations {
  revoke(sessionId: string, untilMs: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

/** One process's memory (the fallback before the database is up, and for tests). */
export class MemoryRevocations implements SessionRevocations {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async revoke(sessionId: string, untilMs: number): Promise<void> {
    const now = this.now();
    for (const [sid, until] of this.until) if (until <= now) this.until.delete(sid);
    this.until.set(sessionId, untilMs);
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    const until = this.until.get(sessionId);
    return until !== undefined && until > this.now();
  }
}

/**
 * Revocations in PostgreSQL. A lookup is one primary-key read; a session found valid is not
 * asked about again for `recheckMs` (so another replica's sign-out takes effect within that
 * delay, this replica's at once). If the database cannot be asked, this replica's own
 * sign-outs still count and the session is checked again on its next request.
 */
export class PostgresRevocations implements SessionRevocations {
  private readonly local: MemoryRevocations;
  private readonly validUntil = new Map<string, number>();
  private lastPurge = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly now: () => number = Date.now,
    private readonly recheckMs = 2_000,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.local = new MemoryRevocations(now);
  }

  async revoke(sessionId: string, untilMs: number): Promise<void> {
    this.validUntil.delete(sessionId);
    await this.local.revoke(sessionId, untilMs);
    const expiresAt = new Date(untilMs);
    await this.prisma.revokedSession.upsert({ where: { sessionId }, create: { sessionId, expiresAt }, update: { expiresAt } });
    const now = this.now();
    if (now - this.lastPurge > 3_600_000) {
      this.lastPurge = now;
      await this.prisma.revokedSession.deleteMany({ where: { expiresAt: { lt: new Date(now) } } });
    }
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    if (await this.local.isRevoked(sessionId)) return true;
    const now = this.now();
    if ((this.validUntil.get(sessionId) ?? 0) > now) return false;
    try {
      const row = await this.prisma.revokedSession.findUnique({ where: { sessionId } });
      const revoked = row !== null && row.expiresAt.getTime() > now;
      if (!revoked) {
        if (this.validUntil.size > 10_000) this.validUntil.clear();
        this.validUntil.set(sessionId, now + this.recheckMs);
      }
      return revoked;
    } catch (error) {
      this.onError(error);
      return false;
    }
  }
}
