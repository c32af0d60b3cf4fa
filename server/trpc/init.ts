import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { ServiceUnavailableError } from "../service-registry";

/** The one tRPC init of Loopscope. Routers live in ./routers, one per area. */
export interface TrpcContext {
  /** Request headers (auth, CSRF); empty when called from the server itself. */
  headers: Headers;
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Validation problems as a flat list of "field: message", for forms.
        issues: cause instanceof ZodError ? cause.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`) : undefined,
      },
    };
  },
});

/** Maps "service not running" to a 503-like tRPC error instead of a 500. */
const serviceErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ServiceUnavailableError) {
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: result.error.cause.message });
  }
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(serviceErrors);
/** Procedures that change state (rules, channels, targets, silences). Auth comes later. */
export const editorProcedure = publicProcedure;
export const createCallerFactory = t.createCallerFactory;
