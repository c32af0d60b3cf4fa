import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { QueryAdmissionError } from "../../query/query-admission";
import type { QueryCancelledError } from "../../query/query-cost";
import { isDomainError } from "../domain-errors";
import { labelMatcherSchema, rangeQuerySchema } from "../../query/range-query";
import { routedRange } from "../../query/routed-query";
import { publicProcedure, router } from "../init";
import { tooManyRequests } from "../retry-after";

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a metric name");
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a label name");

/** Cost refusals are 422 with the reason; an expensive query beyond the admission places a 429 (with Retry-After); a query past its deadline is a 408, one whose client left a 499. */
async function queryErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isDomainError<QueryAdmissionError>(error, "QueryAdmissionError")) throw tooManyRequests(error.message, error.retryAfterS);
    if (isDomainError(error, "QueryBudgetError")) throw new TRPCError({ code: "UNPROCESSABLE_CONTENT", message: error.message });
    if (isDomainError(error, "QuerySourceUnavailableError")) throw new TRPCError({ code: "PRECONDITION_FAILED", message: error.message });
    if (isDomainError(error, "PrometheusRequestError")) throw new TRPCError({ code: "BAD_GATEWAY", message: error.message });
    if (isDomainError<QueryCancelledError>(error, "QueryCancelledError")) {
      throw new TRPCError({ code: error.reason === "timeout" ? "TIMEOUT" : "CLIENT_CLOSED_REQUEST", message: error.message });
    }
    throw error;
  }
}

/** Charts and pickers: range queries over recorded metrics, and the recorder's health. */
export const queryRouter = router({
  /** A range query, downsampled to ≤ maxPoints per series: { series: [{ labels, points }], step, windowMs?, truncated? }. */
  range: publicProcedure
    .input(rangeQuerySchema)
    .query(({ input, ctx, signal }) =>
      queryErrors(() => {
        // A local query on a process whose query service is down says so (ServiceUnavailableError), as before.
        if (input.source !== "prometheus") ctx.services.query.get();
        return routedRange(ctx.services.query.find(), ctx.services.prometheus.find()).range(input, { signal, client: ctx.principal.name });
      }),
    ),

  /** The data sources besides Loopscope's own store: the Prometheus-compatible one (URL, auth kind, header names; never a credential), or null. */
  sources: publicProcedure.query(({ ctx }) => ({ prometheus: ctx.services.prometheus.find()?.status() ?? null })),

  /** Metric names (optionally containing `search`) with type, help and series count. */
  metrics: publicProcedure
    .input(z.object({ search: z.string().max(200).optional(), limit: z.number().int().min(1).max(5_000).optional() }).optional())
    .query(({ input, ctx }) => ctx.services.query.get().metrics(input?.search, input?.limit)),

  /** Label names of a metric's series. */
  labelNames: publicProcedure.input(z.object({ metric: metricName })).query(({ input, ctx }) => ctx.services.query.get().labelNames(input.metric)),

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
    .query(({ input, ctx }) => ctx.services.query.get().labelValues(input.label, { metric: input.metric, matchers: input.matchers, limit: input.limit })),

  /** For the UI banner: degraded, buffered, dropped, last error, last flush. */
  recorderStatus: publicProcedure.query(({ ctx }) => ctx.services.recorder.get().status()),

  /** Database size and samples table/index sizes. */
  storage: publicProcedure.query(({ ctx }) => ctx.services.query.get().storage()),
});
