import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { LeakTracker } from "../../leaks/leak-tracker";
import { service } from "../../service-registry";
import { editorProcedure, publicProcedure, router } from "../init";

/** The running tracker (PRECONDITION_FAILED when this process does not run one). */
const leaks = (): LeakTracker => service("leaks");

/** Milliseconds since the epoch. */
const instant = z.number().int().nonnegative();

/** Async-handle leak diagnostics: suspects (pprof-like groups), their detail, diffs, counts, switches. */
export const leaksRouter = router({
  /** What the tracker is doing: modes, rates, table size, drops, leaking controllers. */
  status: publicProcedure.query(() => leaks().status()),

  /** Current suspect groups, largest first, and the unattributed groups (never blamed). */
  suspects: publicProcedure.query(() => ({ suspects: leaks().suspects(), unattributed: leaks().unattributed() })),

  /** Every group with live overdue members, suspect or not. */
  groups: publicProcedure.query(() => leaks().groupList()),

  /** One group: creation stack, controllers, sample keys, count history and trend test. */
  suspect: publicProcedure.input(z.object({ id: z.string().regex(/^[0-9a-f]{12}$/, "a 12-hex-digit group id") })).query(({ input }) => {
    const detail = leaks().group(input.id);
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
    .query(({ input }) => leaks().diff(input.from, input.to ?? Date.now())),

  /** Live resources by type over time (full resolution for the last hour, per-minute peaks before). */
  activeResources: publicProcedure
    .input(z.object({ since: instant.optional() }).optional())
    .query(({ input }) => leaks().activeResources(input?.since ?? 0)),

  /** Captures every creation stack for `minutes` (0 switches it off); at most a day. */
  setFullCapture: editorProcedure.input(z.object({ minutes: z.number().min(0).max(1_440) })).mutation(({ input }) => {
    const until = leaks().setFullCapture(input.minutes);
    return { fullCaptureUntil: until };
  }),

  /** Switches promise tracking (async_hooks; the expensive part) on or off. */
  setDeepMode: editorProcedure.input(z.object({ enabled: z.boolean() })).mutation(({ input }) => {
    leaks().setDeepMode(input.enabled);
    return { deepMode: input.enabled };
  }),
});
