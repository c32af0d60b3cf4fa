import { z } from "zod";
import { durationSchema } from "../../shared/duration";
import type { Labels } from "./labels";
import { LABEL_NAME, type Matcher, matchersSchema } from "./matchers";
import { templateProblems } from "./template";

/**
 * The shape of an alert rule and its validation. Every refusal names the field (a
 * dotted path such as `spec.query.metric`) and says what is expected instead.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const DEFAULT_RANGE_MS = 300_000;

const labelName = z.string().regex(LABEL_NAME, "must be a label name such as controller (letters, digits, _; not starting with a digit)");

/**
 * A query against the recorder: a metric selector plus one function and an optional
 * aggregation, e.g. `max by (controller) (rate(x{controller="pods"}[5m]))`. It maps
 * one-to-one onto the recorder's range query (fn, quantile = q, windowMs = rangeMs,
 * aggregate = {op: agg, by}).
 */
export const recorderQuerySchema = z
  .object({
    metric: z.string({ message: "is required: the metric name, e.g. workqueue_depth" }).regex(METRIC_NAME, "must be a metric name such as workqueue_depth"),
    matchers: matchersSchema.default([]),
    fn: z
      .enum(["raw", "rate", "increase", "deriv", "histogram_quantile"], { message: "must be one of raw, rate, increase, deriv, histogram_quantile" })
      .default("raw"),
    q: z.number({ message: "must be a number between 0 and 1" }).min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").optional(),
    rangeMs: durationSchema({ min: 1_000, max: 7 * 86_400_000 }).optional(),
    by: z.array(labelName).max(16, "at most 16 labels").optional(),
    agg: z.enum(["sum", "avg", "max", "min"], { message: "must be one of sum, avg, max, min" }).optional(),
    /** Where the series are: Loopscope's own store (default) or the Prometheus data source (LOOPSCOPE_PROMETHEUS_URL). */
    source: z.enum(["local", "prometheus"], { message: "must be local (Loopscope's own store) or prometheus (the Prometheus data source)" }).optional(),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.fn === "histogram_quantile" && query.q === undefined) {
      ctx.addIssue({ code: "custom", path: ["q"], message: "is required for histogram_quantile: the quantile, e.g. 0.99" });
    }
    if (query.fn !== "histogram_quantile" && query.q !== undefined) {
      ctx.addIssue({ code: "custom", path: ["q"], message: "only applies to fn histogram_quantile" });
    }
    if (query.fn === "raw" && query.rangeMs !== undefined) {
      ctx.addIssue({ code: "custom", path: ["rangeMs"], message: "only applies to rate, increase, deriv and histogram_quantile" });
    }
    if (query.fn === "histogram_quantile" && query.agg !== undefined && query.agg !== "sum") {
      ctx.addIssue({ code: "custom", path: ["agg"], message: "histogram_quantile aggregates bucket rates with sum only" });
    }
    if (query.by !== undefined && query.agg === undefined) {
      ctx.addIssue({ code: "custom", path: ["by"], message: "needs agg (sum, avg, max or min) to aggregate by these labels" });
    }
  })
  .transform((query) => ({
    ...query,
    rangeMs: query.fn === "raw" ? undefined : (query.rangeMs ?? DEFAULT_RANGE_MS),
  }));

export type RecorderQuery = z.output<typeof recorderQuerySchema>;

export const COMPARATORS = [">", ">=", "<", "<=", "==", "!="] as const;
export type Comparator = (typeof COMPARATORS)[number];

export const thresholdSpecSchema = z
  .object({
    query: recorderQuerySchema,
    comparator: z.enum(COMPARATORS, { message: "must be one of >, >=, <, <=, ==, !=" }),
    value: z.number({ message: "must be a number" }).refine(Number.isFinite, "must be a finite number"),
  })
  .strict();

export const anomalySpecSchema = z
  .object({
    seriesKey: z.string().min(1, "must not be empty").optional(),
    match: matchersSchema.optional(),
    minScore: z.number({ message: "must be a number between 0 and 1" }).gt(0, "must be above 0").max(1, "must be at most 1").default(0.8),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.seriesKey === undefined && spec.match === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["seriesKey"],
        message: "either seriesKey (one watched series) or match (matchers on series_key, controller, direction, detector) is required",
      });
    }
  });

export const leakSpecSchema = z
  .object({
    controller: z.string().min(1, "must not be empty").optional(),
    type: z.string().min(1, "must not be empty").optional(),
    minSlope: z.number({ message: "must be a number (resources gained per minute)" }).gt(0, "must be above 0 (resources gained per minute)"),
    sustainedMs: durationSchema({ min: 0 }).default(300_000),
  })
  .strict();

export const absentSpecSchema = z
  .object({
    query: recorderQuerySchema,
    forMs: durationSchema({ min: 1_000 }),
  })
  .strict();

export type ThresholdSpec = z.output<typeof thresholdSpecSchema>;
export type AnomalySpec = z.output<typeof anomalySpecSchema>;
export type LeakSpec = z.output<typeof leakSpecSchema>;
export type AbsentSpec = z.output<typeof absentSpecSchema>;

export const RULE_KINDS = ["threshold", "anomaly", "leak", "absent"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

const specSchemas = {
  threshold: thresholdSpecSchema,
  anomaly: anomalySpecSchema,
  leak: leakSpecSchema,
  absent: absentSpecSchema,
} as const;

/** A validated rule, durations in milliseconds. */
export type AlertRuleDefinition = {
  name: string;
  forMs: number;
  keepFiringForMs: number;
  intervalMs: number;
  labels: Labels;
  annotations: Labels;
  enabled: boolean;
} & (
  | { kind: "threshold"; spec: ThresholdSpec }
  | { kind: "anomaly"; spec: AnomalySpec }
  | { kind: "leak"; spec: LeakSpec }
  | { kind: "absent"; spec: AbsentSpec }
);

/** A rule as stored. */
export type AlertRule = AlertRuleDefinition & { id: number; builtin: boolean; createdAt: Date; updatedAt: Date };

function templatedMap(what: "labels" | "annotations", maxValue: number) {
  return z
    .record(z.string(), z.string({ message: "must be a string" }).max(maxValue, `must be at most ${maxValue} characters`), {
      message: `must be an object of ${what === "labels" ? "label" : "annotation"} name → text`,
    })
    .default({})
    .superRefine((map, ctx) => {
      for (const [name, value] of Object.entries(map)) {
        if (!LABEL_NAME.test(name)) {
          ctx.addIssue({ code: "custom", path: [name], message: "is not a valid name (letters, digits, _; not starting with a digit)" });
        }
        if (what === "labels" && name === "alertname") {
          ctx.addIssue({ code: "custom", path: [name], message: "is set from the rule name; rename the rule instead" });
        }
        for (const problem of templateProblems(value)) ctx.addIssue({ code: "custom", path: [name], message: problem });
      }
    });
}

/** Accepts `for`/`keepFiringFor`/`interval` (durations) or their stored `forMs`/… twins. */
function renameStoredDurations(input: unknown): unknown {
  if (!input || typeof input !== "object" || Array.isArray(input)) return input;
  const copy: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const [stored, given] of [
    ["forMs", "for"],
    ["keepFiringForMs", "keepFiringFor"],
    ["intervalMs", "interval"],
  ] as const) {
    if (copy[stored] !== undefined && copy[given] === undefined) copy[given] = copy[stored];
    delete copy[stored];
  }
  return copy;
}

export const ruleInputSchema = z.preprocess(
  renameStoredDurations,
  z
    .object({
      name: z
        .string({ message: "is required" })
        .trim()
        .min(1, "must not be empty")
        .max(128, "must be at most 128 characters")
        .regex(/^[^\u0000-\u001f{}"]+$/, 'must not contain control characters, braces or double quotes'),
      kind: z.enum(RULE_KINDS, { message: "must be one of threshold, anomaly, leak, absent" }),
      spec: z.unknown(),
      for: durationSchema({ max: 7 * 86_400_000 }).default(0),
      keepFiringFor: durationSchema({ max: 7 * 86_400_000 }).default(0),
      interval: durationSchema({ min: 1_000, max: 86_400_000 }).default(15_000),
      labels: templatedMap("labels", 1_024),
      annotations: templatedMap("annotations", 16_384),
      enabled: z.boolean({ message: "must be true or false" }).default(true),
    })
    .strict()
    .transform((base, ctx): AlertRuleDefinition => {
      const parsed = specSchemas[base.kind].safeParse(base.spec ?? {});
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ code: "custom", path: ["spec", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], message: issue.message });
        }
        return z.NEVER;
      }
      return {
        name: base.name,
        kind: base.kind,
        spec: parsed.data,
        forMs: base.for,
        keepFiringForMs: base.keepFiringFor,
        intervalMs: base.interval,
        labels: base.labels,
        annotations: base.annotations,
        enabled: base.enabled,
      } as AlertRuleDefinition;
    }),
);

export type AlertRuleInput = z.input<typeof ruleInputSchema>;

/** Issues as "field: why", e.g. `spec.query.metric: must be a metric name such as workqueue_depth`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join(".") || "rule"}: ${issue.message}`);
}

export class RuleValidationError extends Error {
  constructor(readonly issues: string[]) {
    super(`The rule is invalid: ${issues.join("; ")}`);
    this.name = "RuleValidationError";
  }
}

/**
 * Validates a rule without throwing. When the outer fields are wrong the spec is
 * still checked, so one answer lists every problem at once.
 */
export function validateRule(input: unknown): { ok: true; rule: AlertRuleDefinition } | { ok: false; issues: string[] } {
  const result = ruleInputSchema.safeParse(input);
  if (result.success) return { ok: true, rule: result.data };
  const issues = formatIssues(result.error);
  if (!issues.some((issue) => issue.startsWith("spec.")) && input && typeof input === "object") {
    const { kind, spec } = input as { kind?: unknown; spec?: unknown };
    if (typeof kind === "string" && kind in specSchemas) {
      const specResult = specSchemas[kind as RuleKind].safeParse(spec ?? {});
      if (!specResult.success) {
        for (const issue of specResult.error.issues) issues.push(`${["spec", ...issue.path.map(String)].join(".")}: ${issue.message}`);
      }
    }
  }
  return { ok: false, issues };
}

/** Validates a rule; throws RuleValidationError listing every problem. */
export function parseRule(input: unknown): AlertRuleDefinition {
  const result = validateRule(input);
  if (!result.ok) throw new RuleValidationError(result.issues);
  return result.rule;
}

export type { Matcher };

/** The definition part of a stored rule (drops id, builtin and timestamps), e.g. for preview. */
export function definitionOf(rule: AlertRule): AlertRuleDefinition {
  const { id: _id, builtin: _builtin, createdAt: _c, updatedAt: _u, ...definition } = rule;
  return definition as AlertRuleDefinition;
}
