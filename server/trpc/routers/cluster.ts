import { z } from "zod";
import { findService } from "../../service-registry";
import { publicProcedure, router } from "../init";

/** Object-health findings of a real cluster (empty on the demo or without a source). */
export const clusterRouter = router({
  findings: publicProcedure
    .input(z.object({ kind: z.string().max(64).optional(), limit: z.number().int().min(1).max(1_000).default(200) }).default({ limit: 200 }))
    .query(({ input }) => {
      const health = findService("clusterHealth");
      if (!health) return { available: false, counts: null, findings: [] };
      const findings = health.findings({ kind: input.kind });
      return { available: true, counts: health.counts(), findings: findings.slice(0, input.limit) };
    }),
});
