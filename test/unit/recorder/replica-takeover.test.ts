import { describe, expect, it } from "vitest";
import { LOOKBACK_MS } from "../../../server/query/range-plan";
import { takeoverMarking } from "../../../server/recorder/replica-takeover";

describe("which series a lease takeover ends", () => {
  it("the previous holder's series sampled within the lookback, at the takeover time", () => {
    expect(takeoverMarking("replica-1", "replica-2", 1_700_000_000_123.7)).toEqual({
      replica: "replica-1",
      from: 1_700_000_000_123.7 - LOOKBACK_MS,
      at: 1_700_000_000_123,
    });
  });

  it("nothing for a released lease, this replica's own lease, or a time that is no time", () => {
    expect(takeoverMarking("", "replica-2", 1_000)).toBeUndefined();
    expect(takeoverMarking("replica-2", "replica-2", 1_000)).toBeUndefined();
    expect(takeoverMarking("replica-1", "replica-2", Number.NaN)).toBeUndefined();
  });
});
