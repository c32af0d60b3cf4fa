import { z } from "zod";
import { publicProcedure, router } from "../init";

/** Object-health findings of a real cluster (empty on the demo or without a source). */
export const clusterRouter = router({
  findings: publicProcedure
    .input(z.object({ kind: z.string().max(64).optional(), limit: z.number().int().min(1).max(1_000).default(200) }).default({ limit: 200 }))
    .query(({ input, ctx }) => {
      // Off (demo, no source): nothing to report; a follower says so (the leader watches the cluster).
      if (ctx.services.clusterHealth.state === "off") return { available: false, counts: null, findings: [] };
      const health = ctx.services.clusterHealth.get();
      const findings = health.findings({ kind: input.kind });
      return { available: true, counts: health.counts(), findings: findings.slice(0, input.limit) };
    }),
});
