import { RateLimiter } from "./rate-limiter";

/**
 * Failed authentications (wrong password, wrong API token) counted per account and per
 * client address over a minute. Past the limit of either, further attempts are refused
 * before any bcrypt work — so neither a password guesser rotating addresses nor a flood
 * of bogus `Bearer lst_<known-name>_…` tokens can cost more than `limit` hashes a minute
 * per account. Memory is bounded by the limiters' key caps.
 */
export class FailedAuthentications {
  private readonly byAccount: RateLimiter;
  private readonly byAddress: RateLimiter;

  constructor(
    readonly limitPerMinute: number,
    now: () => number = Date.now,
  ) {
    this.byAccount = new RateLimiter(limitPerMinute, 60_000, now);
    this.byAddress = new RateLimiter(limitPerMinute, 60_000, now);
  }

  /**
   * Admits one credential check for `account` from `address`, counted as a failure until
   * {@link succeeded} says otherwise (so concurrent checks cannot all slip under the limit);
   * returns why it is refused instead, or undefined when admitted.
   */
  admit(account: string, address: string | undefined): { retryAfterMs: number; scope: "account" | "address" } | undefined {
    const byAccount = this.byAccount.check(account);
    if (!byAccount.allowed) return { retryAfterMs: byAccount.retryAfterMs, scope: "account" };
    if (address !== undefined) {
      const byAddress = this.byAddress.check(address);
      if (!byAddress.allowed) return { retryAfterMs: byAddress.retryAfterMs, scope: "address" };
      this.byAddress.take(address);
    }
    this.byAccount.take(account);
    return undefined;
  }

  /** The admitted check succeeded: it does not count as a failure. */
  succeeded(account: string, address: string | undefined): void {
    this.byAccount.untake(account);
    if (address !== undefined) this.byAddress.untake(address);
  }
}

/** The message of a refused attempt (says when to retry, never whether the credential was right). */
export function tooManyFailures(refusal: { retryAfterMs: number; scope: "account" | "address" }): string {
  const seconds = Math.ceil(refusal.retryAfterMs / 1000);
  return `too many failed sign-ins or tokens for this ${refusal.scope === "account" ? "account" : "address"}; try again in ${seconds} s`;
}
