import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { buildAlertDetail } from "../../dashboard/alert-detail";
import { buildControllerCharts, buildControllerNow, buildControllerView } from "../../dashboard/controller-view";
import { ExploreSyntaxError, exploreTextOf, runExplore } from "../../dashboard/explore";
import { MAX_QUERY_LENGTH } from "../../dashboard/explore-query";
import { buildOverview } from "../../dashboard/overview";
import { dashboardSources } from "../../dashboard/sources";
import { publicProcedure, router } from "../init";

const epochMs = z.number().int().nonnegative();
const MAX_RANGE_MS = 400 * 86_400_000;
const range = z
  .object({ from: epochMs, to: epochMs })
  .refine((r) => r.from < r.to, { message: "from must be before to", path: ["from"] })
  .refine((r) => r.to - r.from <= MAX_RANGE_MS, { message: "the range may span at most 400 days", path: ["to"] });

/** The dashboard's views, each in one call: the overview and a controller page. */
export const overviewRouter = router({
  /** Every controller with its verdict and reasons, sparklines over [from, to], and what is wrong now. */
  summary: publicProcedure
    .input(range.and(z.object({ points: z.number().int().min(2).max(500).optional() })))
    .query(({ input, ctx }) => buildOverview(dashboardSources(ctx.services), input)),

  /** The fast half of a controller page: verdict (same as the overview's), live tables, retried keys, faults. */
  controllerNow: publicProcedure
    .input(range.and(z.object({ name: z.string().min(1).max(253) })))
    .query(({ input, ctx }) => buildControllerNow(dashboardSources(ctx.services), input)),

  /** The charts of a controller page at `width` points per series (asked in the same batched request as controllerNow). */
  controllerCharts: publicProcedure
    .input(range.and(z.object({ name: z.string().min(1).max(253), width: z.number().int().min(50).max(4_000) })))
    .query(({ input, ctx }) => buildControllerCharts(dashboardSources(ctx.services), input)),

  /** One controller's page in one answer: both halves. */
  controller: publicProcedure
    .input(range.and(z.object({ name: z.string().min(1).max(253), width: z.number().int().min(50).max(4_000) })))
    .query(({ input, ctx }) => buildControllerView(dashboardSources(ctx.services), input)),

  /** One alert by fingerprint (the id in `/alerts?alert=<id>`): state, labels, rule, its query over its life, notifications. */
  alert: publicProcedure
    .input(z.object({ fingerprint: z.string().regex(/^[0-9a-f]{16}$/, "an alert fingerprint (16 hex digits)"), width: z.number().int().min(50).max(4_000).optional() }))
    .query(({ input, ctx }) => buildAlertDetail(dashboardSources(ctx.services), input.fingerprint, input.width)),

  /** Runs a query of the query API's PromQL subset over [from, to]: series, and its rule and watched-series forms. */
  explore: publicProcedure
    .input(range.and(z.object({ text: z.string().max(MAX_QUERY_LENGTH), width: z.number().int().min(50).max(4_000) })))
    .query(async ({ input, ctx }) => {
      try {
        return await runExplore(dashboardSources(ctx.services), input);
      } catch (error) {
        if (error instanceof ExploreSyntaxError) throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
        throw error;
      }
    }),

  /** A watched series' query as explore text (links from process-wide anomaly windows). */
  watchedText: publicProcedure.input(z.object({ key: z.string().min(1).max(300) })).query(async ({ input, ctx }) => {
    const watched = await ctx.services.anomaly.findStored()?.watched();
    const found = watched?.find((w) => w.key === input.key);
    if (!found) throw new TRPCError({ code: "NOT_FOUND", message: `No watched series "${input.key}".` });
    return { key: found.key, title: found.title, text: exploreTextOf(found.query) };
  }),
});
