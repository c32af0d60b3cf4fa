import { z } from "zod";
import { buildOverview } from "../../dashboard/overview";
import { publicProcedure, router } from "../init";

export const overviewRouter = router({
  /** Every controller with its health and why, plus the banners' facts. */
  summary: publicProcedure.input(z.object({ at: z.number().int().positive().optional() }).optional()).query(({ input }) => buildOverview(input?.at)),
});
