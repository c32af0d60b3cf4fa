import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { GoroutineCollector } from "../../goroutines/goroutine-collector";
import type { LeakTracker } from "../../leaks/leak-tracker";
import { epochMsSchema } from "../../time/epoch-ms";
import { editorProcedure, publicProcedure, router, type TrpcContext } from "../init";

/** The running tracker (PRECONDITION_FAILED when this process does not run one). */
const leaks = (ctx: TrpcContext): LeakTracker => ctx.services.leaks.get();

/** The goroutine collector (PRECONDITION_FAILED where it does not run: a follower replica). */
const goroutines = (ctx: TrpcContext): GoroutineCollector => ctx.services.goroutines.get();

/** Milliseconds since the epoch. */
const instant = epochMsSchema;

/** Async-handle leak diagnostics: suspects (pprof-like groups), their detail, diffs, counts, switches. */
export const leaksRouter = router({
  /** What the tracker is doing: modes, rates, table size, drops, leaking controllers. */
  status: publicProcedure.query(({ ctx }) => leaks(ctx).status()),

  /** Current suspect groups, largest first, and the unattributed groups (never blamed). */
  suspects: publicProcedure.query(({ ctx }) => ({ suspects: leaks(ctx).suspects(), unattributed: leaks(ctx).unattributed() })),

  /** Every group with live overdue members, suspect or not. */
  groups: publicProcedure.query(({ ctx }) => leaks(ctx).groupList()),

  /** One group: creation stack, controllers, sample keys, count history and trend test. */
  suspect: publicProcedure.input(z.object({ id: z.string().regex(/^[0-9a-f]{12}$/, "a 12-hex-digit group id") })).query(({ input, ctx }) => {
    const detail = leaks(ctx).group(input.id);
    if (!detail) throw new TRPCError({ code: "NOT_FOUND", message: `No leak group ${input.id}: it may have emptied and been forgotten.` });
    return detail;
  }),

  /** Groups that grew between two instants (the pprof -base view); `to` defaults to now. */
  diff: publicProcedure
    .input(
      z
        .object({ from: instant, to: instant.optional() })
        .refine((v) => v.to === undefined || v.to >= v.from, { message: "`to` must not be before `from`", path: ["to"] }),
    )
    .query(({ input, ctx }) => leaks(ctx).diff(input.from, input.to ?? Date.now())),

  /** Live resources by type over time (full resolution for the last hour, per-minute peaks before). */
  activeResources: publicProcedure
    .input(z.object({ since: instant.optional() }).optional())
    .query(({ input, ctx }) => leaks(ctx).activeResources(input?.since ?? 0)),

  /** Captures every creation stack for `minutes` (0 switches it off); at most a day. */
  setFullCapture: editorProcedure.input(z.object({ minutes: z.number().min(0).max(1_440) })).mutation(({ input, ctx }) => {
    const until = leaks(ctx).setFullCapture(input.minutes);
    return { fullCaptureUntil: until };
  }),

  /** Go (and agent) targets with a pprof URL: goroutine counts, suspects, proven leaks, the collector's cost. */
  goTargets: publicProcedure.query(({ ctx }) => goroutines(ctx).status()),

  /** What grew on one Go target between two instants. */
  goDiff: publicProcedure
    .input(
      z
        .object({ targetId: z.number().int().positive(), from: instant, to: instant.optional() })
        .refine((v) => v.to === undefined || v.to >= v.from, { message: "`to` must not be before `from`", path: ["to"] }),
    )
    .query(({ ctx, input }) => goroutines(ctx).diff(input.targetId, input.from, input.to ?? Date.now())),

  /** Switches promise tracking (async_hooks; the expensive part) on or off. */
  setDeepMode: editorProcedure.input(z.object({ enabled: z.boolean() })).mutation(({ input, ctx }) => {
    leaks(ctx).setDeepMode(input.enabled);
    return { deepMode: input.enabled };
  }),
});
