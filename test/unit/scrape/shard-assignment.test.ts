import { describe, expect, it } from "vitest";
import type { VersionedLease } from "../../../server/leader/lease-record";
import { liveMembers, nextExpiry, shardOwner, targetShardKey } from "../../../server/scrape/shard-assignment";

const lease = (holder: string, renewTime: number, seconds = 15): VersionedLease => ({
  version: "1",
  record: { holderIdentity: holder, leaseDurationSeconds: seconds, acquireTime: 0, renewTime, leaseTransitions: 0 },
});

describe("scrape shard assignment", () => {
  it("members are the held, unexpired leases by the leases' clock", () => {
    const leases = [lease("b", 10_000), lease("a", 1_000), lease("", 10_000), lease("c", 0, 5)];
    expect(liveMembers(leases, 12_000)).toEqual(["a", "b"]);
    expect(liveMembers(leases, 16_000)).toEqual(["b"]);
    expect(nextExpiry(leases, 12_000)).toBe(16_000);
    expect(nextExpiry([], 0)).toBeUndefined();
  });

  it("every target has one owner, shares are balanced, and a member leaving moves only its own targets", () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => targetShardKey(i + 1));
    const three = ["replica-a", "replica-b", "replica-c"];
    const owners = keys.map((k) => shardOwner(k, three));
    for (const member of three) {
      const share = owners.filter((o) => o === member).length;
      expect(share).toBeGreaterThan(850);
      expect(share).toBeLessThan(1_150);
    }
    const two = ["replica-a", "replica-c"];
    keys.forEach((k, i) => {
      const now = shardOwner(k, two);
      if (owners[i] !== "replica-b") expect(now).toBe(owners[i]);
      else expect(two).toContain(now);
    });
    // Order of the member list does not matter; no member, no owner.
    expect(keys.map((k) => shardOwner(k, [...three].reverse()))).toEqual(owners);
    expect(shardOwner("target:1", [])).toBeUndefined();
  });
});
