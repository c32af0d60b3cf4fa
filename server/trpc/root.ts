import { router } from "./init";
import { alertsRouter } from "./routers/alerts";
import { anomalyRouter } from "./routers/anomaly";
import { clusterRouter } from "./routers/cluster";
import { leaksRouter } from "./routers/leaks";
import { overviewRouter } from "./routers/overview";
import { queryRouter } from "./routers/query";
import { runtimeRouter } from "./routers/runtime";
import { systemRouter } from "./routers/system";
import { targetsRouter } from "./routers/targets";

/** The root router: one sub-router per area. */
export const appRouter = router({
  system: systemRouter,
  overview: overviewRouter,
  runtime: runtimeRouter,
  cluster: clusterRouter,
  query: queryRouter,
  targets: targetsRouter,
  leaks: leaksRouter,
  anomaly: anomalyRouter,
  alerts: alertsRouter,
});

export type AppRouter = typeof appRouter;
