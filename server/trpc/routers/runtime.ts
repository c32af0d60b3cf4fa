import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { publicProcedure, router } from "../init";
import type { RuntimeState } from "../../runtime/runtime";

const limit = z.number().int().min(1).max(500).optional();

/**
 * The controller runtime's live state: controllers, one controller, demo faults, watches.
 * Only the leader runs it: a follower answers PRECONDITION_FAILED, "this replica is a follower".
 */
export const runtimeRouter = router({
  /** Every controller with status, health, queue, workers, hot and retried keys, recent errors. */
  controllers: publicProcedure.input(z.object({ limit }).optional()).query(({ input, ctx }): RuntimeState => ctx.services.runtime.get().state({ limit: input?.limit ?? 10 })),

  /** One controller in more detail (longer lists). */
  controller: publicProcedure
    .input(z.object({ name: z.string().min(1).max(253), limit }))
    .query(({ input, ctx }) => {
      const controller = ctx.services.runtime.get().controller(input.name);
      if (!controller) throw new TRPCError({ code: "NOT_FOUND", message: `No controller named "${input.name}" is running.` });
      return controller.state({ limit: input.limit ?? 50 });
    }),

  /** The demo cluster's fault schedule as ground truth, with the current fault; null for a real cluster. */
  faults: publicProcedure.query(({ ctx }) => ctx.services.runtime.get().faults()),

  /** Health of each watch (list + watch stream) of the event source. */
  watches: publicProcedure.query(({ ctx }) => {
    const runtime = ctx.services.runtime.get();
    return { sourceKind: runtime.source?.kind ?? "none", watches: runtime.watches() };
  }),
});
