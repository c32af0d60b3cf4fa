import { describe, expect, it } from "vitest";
import { activeResourceDiff } from "../../../components/leaks/active-resource-diff";

describe("activeResourceDiff (the Leaks page's diff of live resources)", () => {
  it("lists a 140-socket spike that no leaked group explains (it said 'No resources recorded')", () => {
    const points = [];
    for (let t = 0; t <= 600_000; t += 1_000) points.push({ t, counts: { Timeout: 12, TCPSocketWrap: t >= 300_000 && t < 400_000 ? 142 : 2 } });
    expect(activeResourceDiff(points, 200_000, 350_000)).toEqual([{ type: "TCPSocketWrap", before: 2, after: 142 }]);
    expect(activeResourceDiff(points, 200_000, 500_000)).toEqual([]);
    expect(activeResourceDiff([], 0, 1)).toEqual([]);
  });
});
