import { z } from "zod";
import { labelMatcherSchema, rangeQuerySchema } from "../../query/range-query";
import { service } from "../../service-registry";
import { publicProcedure, router } from "../init";

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a metric name");
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a label name");

/** Charts and pickers: range queries over recorded metrics, and the recorder's health. */
export const queryRouter = router({
  /** A range query, downsampled to ≤ maxPoints per series: { series: [{ labels, points }], step, windowMs?, truncated? }. */
  range: publicProcedure.input(rangeQuerySchema).query(({ input }) => service("query").range(input)),

  /** Metric names (optionally containing `search`) with type, help and series count. */
  metrics: publicProcedure
    .input(z.object({ search: z.string().max(200).optional(), limit: z.number().int().min(1).max(5_000).optional() }).optional())
    .query(({ input }) => service("query").metrics(input?.search, input?.limit)),

  /** Label names of a metric's series. */
  labelNames: publicProcedure.input(z.object({ metric: metricName })).query(({ input }) => service("query").labelNames(input.metric)),

  /** Values of a label, over one metric (optionally narrowed by matchers) or over all series. */
  labelValues: publicProcedure
    .input(
      z.object({
        label: labelName,
        metric: metricName.optional(),
        matchers: z.array(labelMatcherSchema).max(20).optional(),
        limit: z.number().int().min(1).max(5_000).optional(),
      }),
    )
    .query(({ input }) => service("query").labelValues(input.label, { metric: input.metric, matchers: input.matchers, limit: input.limit })),

  /** For the UI banner: degraded, buffered, dropped, last error, last flush. */
  recorderStatus: publicProcedure.query(() => service("recorder").status()),

  /** Database size and samples table/index sizes. */
  storage: publicProcedure.query(() => service("query").storage()),
});
