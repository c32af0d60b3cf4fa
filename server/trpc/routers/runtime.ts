import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { service } from "../../service-registry";
import { publicProcedure, router } from "../init";
import type { RuntimeState } from "../../runtime/runtime";

const limit = z.number().int().min(1).max(500).optional();

/** The controller runtime's live state: controllers, one controller, demo faults, watches. */
export const runtimeRouter = router({
  /** Every controller with status, health, queue, workers, hot and retried keys, recent errors. */
  controllers: publicProcedure.input(z.object({ limit }).optional()).query(({ input }): RuntimeState => service("runtime").state({ limit: input?.limit ?? 10 })),

  /** One controller in more detail (longer lists). */
  controller: publicProcedure
    .input(z.object({ name: z.string().min(1).max(253), limit }))
    .query(({ input }) => {
      const controller = service("runtime").controller(input.name);
      if (!controller) throw new TRPCError({ code: "NOT_FOUND", message: `No controller named "${input.name}" is running.` });
      return controller.state({ limit: input.limit ?? 50 });
    }),

  /** The demo cluster's fault schedule as ground truth, with the current fault; null for a real cluster. */
  faults: publicProcedure.query(() => service("runtime").faults()),

  /** Health of each watch (list + watch stream) of the event source. */
  watches: publicProcedure.query(() => ({ sourceKind: service("runtime").source?.kind ?? "none", watches: service("runtime").watches() })),
});
