import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { webHeaders } from "../auth/headers";
import { hasRole, type Principal } from "../auth/principal";
import type { Services } from "../composition";
import { ServiceUnavailableError } from "../lifecycle/service-slot";
import { retryAfterSeconds, tooManyRequests } from "./retry-after";

/** The one tRPC init of Loopscope. Routers live in ./routers, one per area. */
export interface TrpcContext {
  /** The process's services (the composition root, server/composition.ts). */
  services: Services;
  /** Request headers (auth, CSRF); empty when called from the server itself. */
  headers: Headers;
  /**
   * Who is calling, when the caller already knows (server-side callers, tests). Otherwise it is
   * resolved from `headers` by `services.auth`.
   */
  principal?: Principal | null;
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    // Validation problems as a flat list of "field: message", for forms; the message says the same in one line.
    const issues = cause instanceof ZodError ? cause.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`) : undefined;
    // A service that does not run here says which and why (e.g. state "follower"), so clients can tell.
    const unavailable = cause instanceof ServiceUnavailableError ? { name: cause.service, state: cause.state } : undefined;
    return {
      ...shape,
      message: issues ? `Invalid input: ${issues.join("; ")}` : shape.message,
      // A refusal for a limit says when to retry (also in the Retry-After header of unstreamed answers).
      data: { ...shape.data, issues, service: unavailable, retryAfterS: retryAfterSeconds(error) },
    };
  },
});

/** pg's messages when the database cannot be reached or the pool is exhausted. */
const DATABASE_UNAVAILABLE = /timeout exceeded when trying to connect|ECONNREFUSED|Connection terminated|the database system is (starting up|shutting down)/;

/** Maps "service not running here" (starting, follower, off, stopped) to a 412 and "database unreachable or saturated" to a 503 instead of a 500. */
const serviceErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof ServiceUnavailableError) throw new TRPCError({ code: "PRECONDITION_FAILED", message: cause.message, cause });
  if (result.error.code === "INTERNAL_SERVER_ERROR" && cause && DATABASE_UNAVAILABLE.test(cause.message)) {
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The database is unavailable or busy; try again shortly.", cause });
  }
  return result;
});

/** Resolves the caller (see TrpcContext.principal); `reason` says why there is none. */
const identify = t.middleware(async ({ ctx, next }) => {
  if (ctx.principal !== undefined) return next({ ctx: { principal: ctx.principal, authProblem: ctx.principal ? undefined : "not signed in" } });
  const result = await ctx.services.auth.authenticate(webHeaders(ctx.headers));
  if (result.principal) return next({ ctx: { principal: result.principal as Principal | null, authProblem: undefined } });
  return next({ ctx: { principal: null, authProblem: result.reason, authRetryAfterMs: result.retryAfterMs } });
});

/**
 * Reads need at least a viewer; every mutation (whatever procedure builder it uses) needs an
 * editor and passes the CSRF check (same origin + token for cookie/proxy sessions).
 */
const authorise = (needed: "viewer" | "editor") =>
  t.middleware(({ ctx, type, next }) => {
    const principal = (ctx as { principal: Principal | null }).principal;
    const problem = (ctx as { authProblem?: string }).authProblem;
    const retryAfterMs = (ctx as { authRetryAfterMs?: number }).authRetryAfterMs;
    // Refused for a limit (too many failed tokens for this name or address): 429, retry later, not "sign in".
    if (!principal && retryAfterMs !== undefined) throw tooManyRequests(`Refused: ${problem ?? "too many attempts"}.`, retryAfterMs / 1000);
    if (!principal) throw new TRPCError({ code: "UNAUTHORIZED", message: `Sign in first (${problem ?? "not signed in"}).` });
    const role = type === "mutation" ? "editor" : needed;
    if (!hasRole(principal, role)) throw new TRPCError({ code: "FORBIDDEN", message: `${principal.name} is a ${principal.role}; this needs the ${role} role.` });
    if (type === "mutation") {
      const csrf = ctx.services.auth.mutationProblem(webHeaders(ctx.headers), principal);
      if (csrf) throw new TRPCError({ code: "FORBIDDEN", message: `Refused: ${csrf}.` });
    }
    return next({ ctx: { principal } });
  });

export const router = t.router;
/** No sign-in needed: only for what the login page and header show (who am I). */
export const anonymousProcedure = t.procedure.use(serviceErrors).use(identify);
/** Reads: any signed-in user (viewer or editor); the local user when authentication is off. */
export const publicProcedure = anonymousProcedure.use(authorise("viewer"));
export const viewerProcedure = publicProcedure;
/** Procedures that change state (rules, channels, targets, silences): editors only, CSRF-checked. */
export const editorProcedure = anonymousProcedure.use(authorise("editor"));
export const createCallerFactory = t.createCallerFactory;
