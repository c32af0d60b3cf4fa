import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { scrapeTargetFields } from "../../scrape/target-schema";
import { isDomainError } from "../domain-errors";
import { editorProcedure, publicProcedure, router } from "../init";

const id = z.object({ id: z.number().int().positive() });

async function mapErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDomainError(error, "TargetNotFoundError")) throw new TRPCError({ code: "NOT_FOUND", message: error.message });
    if (isDomainError(error, "TargetRefusedError")) throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
    if (isDomainError<z.ZodError>(error, "ZodError")) {
      throw new TRPCError({ code: "BAD_REQUEST", message: error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
    }
    if (error instanceof Error && /Unique constraint/.test(error.message)) throw new TRPCError({ code: "CONFLICT", message: "A target with that name already exists." });
    throw error;
  }
}

/** Scrape targets: list with health, add, edit, remove, scrape now. Credentials are write-only. */
export const targetsRouter = router({
  /** Each target with its health and what the recorder refused of its samples (rejectedSamples, lastRejection). */
  list: publicProcedure.query(async ({ ctx }) => {
    const recorder = ctx.services.recorder.find();
    return (await ctx.services.targets.stored().list()).map((t) => {
      const rejected = recorder?.rejected(`target:${t.id}`);
      return { ...t, rejectedSamples: rejected?.total ?? 0, lastRejection: rejected?.lastMessage ?? null };
    });
  }),
  create: editorProcedure.input(scrapeTargetFields).mutation(({ input, ctx }) => mapErrors(() => ctx.services.targets.stored().create(input))),
  update: editorProcedure
    .input(id.extend({ patch: scrapeTargetFields.partial() }))
    .mutation(({ input, ctx }) => mapErrors(() => ctx.services.targets.stored().update(input.id, input.patch))),
  remove: editorProcedure.input(id).mutation(({ input, ctx }) => mapErrors(() => ctx.services.targets.stored().remove(input.id))),
  scrapeNow: editorProcedure.input(id).mutation(({ input, ctx }) => mapErrors(() => ctx.services.targets.stored().scrapeNow(input.id))),
});
