import { findService } from "../../service-registry";
import { checkReadiness } from "../../system/status";
import { publicProcedure, router } from "../init";

export const systemRouter = router({
  /** What the home page shows first: database kind and version, uptime, readiness. */
  status: publicProcedure.query(async () => {
    const state = findService("system");
    const readiness = await checkReadiness(state);
    return {
      databaseKind: state?.databaseKind ?? "unknown",
      databaseState: state?.databaseState ?? "starting",
      databaseVersion: readiness.databaseVersion ?? null,
      ready: readiness.ready,
      reason: readiness.reason ?? null,
      sourceKind: state?.sourceKind ?? "none",
      uptimeSeconds: state ? Math.round((Date.now() - state.startedAt) / 1000) : 0,
      nodeVersion: process.version,
    };
  }),
});
