import { checkReadiness, leadershipStatus } from "../../system/status";
import { anonymousProcedure, publicProcedure, router } from "../init";

export const systemRouter = router({
  /** Who is signed in (null when no one is) and the authentication mode, for the header and login page. */
  whoami: anonymousProcedure.query(({ ctx }) => ({
    mode: ctx.services.auth.mode,
    principal: ctx.principal ? { name: ctx.principal.name, role: ctx.principal.role, via: ctx.principal.via } : null,
  })),
  /** What the home page shows first: database kind and version, uptime, readiness. */
  status: publicProcedure.query(async ({ ctx }) => {
    const state = ctx.services.system;
    const readiness = await checkReadiness(state);
    return {
      databaseKind: state.databaseKind,
      databaseState: state.databaseState,
      databaseVersion: readiness.databaseVersion ?? null,
      ready: readiness.ready,
      reason: readiness.reason ?? null,
      sourceKind: state.sourceKind ?? "none",
      uptimeSeconds: Math.round((Date.now() - state.startedAt) / 1000),
      nodeVersion: process.version,
      leadership: leadershipStatus(state),
      scrapeShards: state.scrapeShards?.() ?? null,
    };
  }),
});
