import { router } from "./init";
import { systemRouter } from "./routers/system";

/** The root router: one sub-router per area. */
export const appRouter = router({
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
