import { describe, expect, it } from "vitest";
import { buildOverview } from "../../../server/dashboard/overview";
import type { RangeQuery } from "../../../server/query/range-query";

describe("the overview's sparkline queries", () => {
  it("a failed query is named among the page's problems, not silently drawn as an empty sparkline", async () => {
    const asked: RangeQuery[] = [];
    const query = {
      range: (q: RangeQuery) => {
        asked.push(q);
        return q.metric === "workqueue_depth" ? Promise.reject(new Error("canceling statement due to statement timeout")) : Promise.resolve({ series: [], step: q.stepMs ?? 1 });
      },
    };
    const to = Date.UTC(2026, 11, 3, 9, 0, 0, 500);
    const overview = await buildOverview({ query }, { from: to - 6 * 3_600_000, to, points: 60 }, to);
    expect(overview.problems).toEqual(["workqueue_depth sparklines: canceling statement due to statement timeout"]);
    // Both sparklines are asked on a grid whose last step is the range's end.
    for (const q of asked) expect(q.start + Math.round((q.end - q.start) / (q.stepMs ?? 1)) * (q.stepMs ?? 1)).toBe(to);
    expect(asked.every((q) => q.end === to)).toBe(true);
  });
});
