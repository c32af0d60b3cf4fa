import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { epochMsSchema } from "../../time/epoch-ms";
import { type ChannelError, channelInputSchema, channelPatchSchema } from "../../alerting/channel-store";
import { definitionOf, type RuleValidationError, validateRule } from "../../alerting/rule-schema";
import type { SilenceError } from "../../alerting/silence-store";
import { silenceInputSchema } from "../../alerting/silences";
import { rulesWithoutData } from "../../dashboard/rule-data";
import { isDomainError } from "../domain-errors";
import { editorProcedure, publicProcedure, router } from "../init";

const id = z.object({ id: z.number().int().positive() });
const ruleBody = z.record(z.string(), z.unknown());

/** A ZodError (so the error formatter lists `field: message`) from "field: message" lines. */
function invalid(issues: string[], what: string): TRPCError {
  const zodIssues = issues.map((line) => {
    const at = line.indexOf(": ");
    const path = at > 0 ? line.slice(0, at).split(".") : [];
    return { code: "custom" as const, path, message: at > 0 ? line.slice(at + 2) : line, input: undefined };
  });
  return new TRPCError({ code: "BAD_REQUEST", message: `The ${what} is invalid: ${issues.join("; ")}`, cause: new z.ZodError(zodIssues) });
}

/** Domain errors → tRPC codes, with their messages (which name the field and the fix). */
async function domain<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDomainError<RuleValidationError>(error, "RuleValidationError")) throw invalid(error.issues, "rule");
    if (isDomainError(error, "RuleNotFoundError")) throw new TRPCError({ code: "NOT_FOUND", message: error.message });
    if (isDomainError(error, "RuleConflictError")) throw new TRPCError({ code: "CONFLICT", message: error.message });
    if (isDomainError<ChannelError | SilenceError>(error, "ChannelError") || isDomainError<ChannelError | SilenceError>(error, "SilenceError")) {
      const code = error.code === "not_found" ? "NOT_FOUND" : error.code === "conflict" ? "CONFLICT" : "BAD_REQUEST";
      throw new TRPCError({ code, message: error.message });
    }
    throw error;
  }
}

const rulesRouter = router({
  /** All rules with their last evaluation, and stored rules that no longer validate. */
  list: publicProcedure.query(async ({ ctx }) => {
    const alerting = ctx.services.alerting.stored();
    const { rules, invalid: broken } = await alerting.rules.listWithProblems();
    const health = new Map(alerting.ruleHealth().map((h) => [h.ruleId, h]));
    const metrics = await ctx.services.query.find()?.metrics(undefined, 10_000).catch(() => null);
    const noData = metrics ? rulesWithoutData(rules, new Set(metrics.map((m) => m.metric))) : new Set<number>();
    return { rules: rules.map((r) => ({ ...r, health: health.get(r.id) ?? null, noData: noData.has(r.id) })), invalid: broken };
  }),
  get: publicProcedure.input(id).query(({ input, ctx }) => domain(() => ctx.services.alerting.stored().rules.get(input.id))),
  /** Checks a rule without saving it: `{ok, issues}`. */
  validate: publicProcedure.input(ruleBody).query(({ input }) => {
    const result = validateRule(input);
    return result.ok ? { ok: true as const, issues: [] } : { ok: false as const, issues: result.issues };
  }),
  create: editorProcedure.input(ruleBody).mutation(({ input, ctx }) => domain(() => ctx.services.alerting.stored().rules.create(input))),
  update: editorProcedure
    .input(z.object({ id: z.number().int().positive(), patch: ruleBody }))
    .mutation(({ input, ctx }) => domain(() => ctx.services.alerting.stored().rules.update(input.id, input.patch))),
  delete: editorProcedure.input(id).mutation(({ input, ctx }) => domain(() => ctx.services.alerting.stored().rules.remove(input.id))),
  /** When the rule (a stored one by id, or an unsaved one) would have fired over the last hours. */
  preview: publicProcedure
    .input(
      z.union([
        z.object({ id: z.number().int().positive(), hours: z.number().min(0.1).max(24 * 7).default(24) }),
        z.object({ rule: ruleBody, hours: z.number().min(0.1).max(24 * 7).default(24) }),
      ]),
    )
    .query(({ input, ctx }) =>
      domain(async () => {
        const alerting = ctx.services.alerting.stored();
        const rule = "id" in input ? definitionOf(await alerting.rules.get(input.id)) : input.rule;
        return alerting.preview(rule, { hours: input.hours });
      }),
    ),
});

const silencesRouter = router({
  list: publicProcedure
    .input(z.object({ state: z.enum(["pending", "active", "expired"]).optional() }).default({}))
    .query(({ input, ctx }) => ctx.services.notifier.stored().silences.list(input)),
  create: editorProcedure.input(silenceInputSchema).mutation(({ input, ctx }) =>
    domain(() =>
      ctx.services.notifier.stored().silences.create({
        matchers: input.matchers,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        createdBy: input.createdBy,
        comment: input.comment,
      }),
    ),
  ),
  expire: editorProcedure.input(id).mutation(({ input, ctx }) => domain(() => ctx.services.notifier.stored().silences.expire(input.id))),
});

const channelsRouter = router({
  /** Channels with masked URLs; URLs and secrets are never returned. */
  list: publicProcedure.query(({ ctx }) => ctx.services.notifier.stored().channels.list()),
  get: publicProcedure.input(id).query(({ input, ctx }) => domain(() => ctx.services.notifier.stored().channels.get(input.id))),
  create: editorProcedure.input(channelInputSchema).mutation(({ input, ctx }) => domain(() => ctx.services.notifier.stored().channels.create(input))),
  update: editorProcedure
    .input(z.object({ id: z.number().int().positive(), patch: channelPatchSchema }))
    .mutation(({ input, ctx }) => domain(() => ctx.services.notifier.stored().channels.update(input.id, input.patch))),
  delete: editorProcedure.input(id).mutation(({ input, ctx }) => domain(() => ctx.services.notifier.stored().channels.remove(input.id))),
  /** Sends a test message now and reports the outcome (HTTP status or error). */
  test: editorProcedure.input(id).mutation(({ input, ctx }) => domain(() => ctx.services.notifier.stored().sendTest(input.id))),
});

const deliveriesRouter = router({
  /** The outbox: pending, delivered, failed (not retryable) and dead letters. */
  list: publicProcedure
    .input(
      z
        .object({
          states: z.array(z.enum(["pending", "delivered", "failed", "dead"])).optional(),
          channelId: z.number().int().positive().optional(),
          limit: z.number().int().min(1).max(2_000).default(200),
        })
        .default({ limit: 200 }),
    )
    .query(({ input, ctx }) => ctx.services.notifier.stored().outbox.list(input)),
  counts: publicProcedure.query(({ ctx }) => ctx.services.notifier.stored().outbox.counts()),
  /** Puts a failed or dead notification back in the queue. */
  requeue: editorProcedure.input(id).mutation(async ({ input, ctx }) => {
    const notifier = ctx.services.notifier.stored();
    const ok = await notifier.outbox.requeue(input.id, Date.now());
    if (!ok) throw new TRPCError({ code: "BAD_REQUEST", message: `Notification ${input.id} is not failed or dead, so there is nothing to retry.` });
    return { ok };
  }),
});

export const alertsRouter = router({
  rules: rulesRouter,
  /** Current alerts (pending, firing, recently resolved) with rule name and muting. */
  list: publicProcedure
    .input(z.object({ states: z.array(z.enum(["pending", "firing", "resolved"])).optional(), ruleId: z.number().int().positive().optional() }).default({}))
    .query(async ({ input, ctx }) => {
      const alerting = ctx.services.alerting.stored();
      const [alerts, rules, muting] = await Promise.all([
        alerting.alerts.list(input),
        alerting.rules.list(),
        ctx.services.notifier.stored().currentMuting(),
      ]);
      const names = new Map(rules.map((r) => [r.id, r.name]));
      return alerts.map((a) => ({
        ...a,
        ruleName: names.get(a.ruleId) ?? null,
        silencedBy: muting.silencedBy.get(a.fingerprint) ?? [],
        inhibited: muting.inhibited.has(a.fingerprint),
      }));
    }),
  /** Alert state transitions (for history and chart annotations), newest first. */
  history: publicProcedure
    .input(
      z
        .object({
          from: epochMsSchema.optional(),
          to: epochMsSchema.optional(),
          ruleId: z.number().int().positive().optional(),
          fingerprint: z.string().regex(/^[0-9a-f]{16}$/).optional(),
          limit: z.number().int().min(1).max(5_000).default(500),
        })
        .default({ limit: 500 }),
    )
    .query(({ input, ctx }) =>
      ctx.services.alerting.stored().alerts.history({
        from: input.from === undefined ? undefined : new Date(input.from),
        to: input.to === undefined ? undefined : new Date(input.to),
        ruleId: input.ruleId,
        fingerprint: input.fingerprint,
        limit: input.limit,
      }),
    ),
  silences: silencesRouter,
  channels: channelsRouter,
  deliveries: deliveriesRouter,
});
