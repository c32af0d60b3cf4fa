import { createHash } from "node:crypto";
import type { VersionedLease } from "../leader/lease-record";

/**
 * Which replica scrapes which target (pure). Like Prometheus's `hashmod` relabelling,
 * each replica keeps the targets whose hash falls in its share; the share is decided by
 * rendezvous (highest-random-weight) hashing over the live members rather than `mod N`,
 * so a member joining or leaving moves only the targets it gains or held (about 1/N of
 * them), not most of them, and every replica computes the same owner from the same
 * member list without talking to the others.
 */

/** The members of a shard group whose lease is held and unexpired at `now` (the leases' own clock), sorted. */
export function liveMembers(leases: readonly VersionedLease[], now: number): string[] {
  const live = new Set<string>();
  for (const { record } of leases) {
    if (record.holderIdentity !== "" && record.renewTime + record.leaseDurationSeconds * 1_000 > now) live.add(record.holderIdentity);
  }
  return [...live].sort();
}

/** When the first live member's lease runs out (epoch ms on the leases' clock), or undefined when none is live. */
export function nextExpiry(leases: readonly VersionedLease[], now: number): number | undefined {
  let first: number | undefined;
  for (const { record } of leases) {
    const expires = record.renewTime + record.leaseDurationSeconds * 1_000;
    if (record.holderIdentity !== "" && expires > now && (first === undefined || expires < first)) first = expires;
  }
  return first;
}

function weight(member: string, key: string): bigint {
  return createHash("md5").update(member).update("\u0000").update(key).digest().readBigUInt64BE(0);
}

/** The member that owns `key` (e.g. "target:12"): the highest weight of md5(member, key); undefined with no member. */
export function shardOwner(key: string, members: readonly string[]): string | undefined {
  let owner: string | undefined;
  let best = -1n;
  for (const member of members) {
    const w = weight(member, key);
    if (w > best || (w === best && owner !== undefined && member < owner)) {
      best = w;
      owner = member;
    }
  }
  return owner;
}

/** The shard key of a scrape target. */
export function targetShardKey(id: number): string {
  return `target:${id}`;
}
