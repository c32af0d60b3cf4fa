import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { epochMsSchema } from "../../time/epoch-ms";
import { isDomainError } from "../domain-errors";
import { sensitivitySchema, seriesQuerySchema } from "../../anomaly/watched-series";
import { editorProcedure, publicProcedure, router } from "../init";

const MAX_BAND_RANGE_MS = 7 * 86_400_000;

const key = z.string().min(1).max(300);
const epochMs = epochMsSchema;
const range = z
  .object({ from: epochMs, to: epochMs })
  .refine((r) => r.from <= r.to, { message: "from must not be after to", path: ["from"] });

/** Runs a service call, turning "no such series" into NOT_FOUND and refusals into BAD_REQUEST. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isDomainError(error, "WatchedSeriesNotFoundError")) throw new TRPCError({ code: "NOT_FOUND", message: error.message, cause: error });
    if (error instanceof Error && /built-in series/.test(error.message)) throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
    throw error;
  }
}

/** Watched series, their anomaly windows and expected bands. */
export const anomalyRouter = router({
  /** Every watched series (built-in and user-added) with its sensitivity. */
  watched: publicProcedure.query(({ ctx }) => ctx.services.anomaly.stored().watched()),

  /** Adds a series to watch, or updates one (a changed query starts learning afresh). */
  upsertWatched: editorProcedure
    .input(
      z.object({
        key,
        title: z.string().min(1).max(200),
        query: seriesQuerySchema,
        controller: z.string().min(1).max(200).nullable().optional(),
        sensitivity: sensitivitySchema.optional(),
        direction: z.enum(["both", "above", "below"]).optional(),
      }),
    )
    .mutation(({ input, ctx }) => call(() => ctx.services.anomaly.stored().upsertWatched(input))),

  setSensitivity: editorProcedure
    .input(z.object({ key, sensitivity: sensitivitySchema }))
    .mutation(({ input, ctx }) => call(() => ctx.services.anomaly.stored().setSensitivity(input.key, input.sensitivity))),

  setEnabled: editorProcedure
    .input(z.object({ key, enabled: z.boolean() }))
    .mutation(({ input, ctx }) => call(() => ctx.services.anomaly.stored().setEnabled(input.key, input.enabled))),

  /** Removes a user-added series; built-in ones can only be disabled. */
  remove: editorProcedure.input(z.object({ key })).mutation(({ input, ctx }) => call(() => ctx.services.anomaly.stored().removeWatched(input.key))),

  /** Windows overlapping [from, to] (epoch ms), optionally of one series. */
  windows: publicProcedure
    .input(range.and(z.object({ seriesKey: key.optional(), limit: z.number().int().min(1).max(10_000).optional() })))
    .query(({ input, ctx }) => ctx.services.anomaly.stored().windows(input)),

  /** Windows open right now. */
  openWindows: publicProcedure.query(({ ctx }) => ctx.services.anomaly.stored().openWindows()),

  /** The expected band of a watched series over [from, to] (at most 7 days). */
  band: publicProcedure
    .input(
      range
        .and(z.object({ seriesKey: key }))
        .refine((r) => r.to - r.from <= MAX_BAND_RANGE_MS, { message: "the range may span at most 7 days", path: ["to"] }),
    )
    .query(({ input, ctx }) => call(() => ctx.services.anomaly.stored().band(input.seriesKey, input.from, input.to))),
});
