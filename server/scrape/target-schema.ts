import { z } from "zod";

/**
 * What a scrape target is, validated at every boundary (tRPC input, config file, env).
 * A target that passes is scrapeable as-is: an http(s) URL without embedded
 * credentials, an interval between 1 s and 1 h, a timeout no longer than the interval.
 */

export const MIN_INTERVAL_MS = 1_000;
export const MAX_INTERVAL_MS = 3_600_000;
export const DEFAULT_INTERVAL_MS = 15_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const MIN_TIMEOUT_MS = 100;

export const scrapeAuthSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }),
  z.object({ kind: z.literal("bearer"), token: z.string().min(1, "a bearer token must not be empty") }),
  z.object({
    kind: z.literal("basic"),
    username: z.string().min(1, "a basic-auth username must not be empty").refine((u) => !u.includes(":"), "a basic-auth username cannot contain ':'"),
    password: z.string(),
  }),
]);

/** How a target authenticates. Secrets are for the scraper only: never log or return them. */
export type ScrapeAuth = z.output<typeof scrapeAuthSchema>;

export const scrapeUrlSchema = z.string().superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not a URL (expected e.g. http://10.0.0.5:8080/metrics)` });
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") ctx.addIssue({ code: "custom", message: `only http and https URLs can be scraped, not ${url.protocol.slice(0, -1)}` });
  if (url.username !== "" || url.password !== "") ctx.addIssue({ code: "custom", message: "put credentials in auth (basic or bearer), not in the URL" });
  if (url.hostname === "") ctx.addIssue({ code: "custom", message: "the URL has no host" });
});

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const targetLabelsSchema = z.record(z.string(), z.string().max(1024)).superRefine((labels, ctx) => {
  for (const name of Object.keys(labels)) {
    if (!LABEL_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "label names are letters, digits and underscores, not starting with a digit" });
    else if (name.startsWith("__")) ctx.addIssue({ code: "custom", path: [name], message: "label names starting with __ are reserved" });
  }
});

/**
 * The target fields, without defaults or cross-field rules: `.partial()` of this is the
 * shape of an update; validate the merged result with {@link scrapeTargetSpecSchema}.
 */
export const scrapeTargetFields = z.object({
  name: z
    .string()
    .trim()
    .min(1, "a target needs a name")
    .max(128)
    .regex(/^[A-Za-z0-9[][A-Za-z0-9._:/@ [\]-]*$/, "names are letters, digits, spaces and . _ : / @ - [ ], starting with a letter, digit or ["),
  url: scrapeUrlSchema,
  intervalMs: z.number().int().min(MIN_INTERVAL_MS, "the interval must be at least 1 s").max(MAX_INTERVAL_MS, "the interval must be at most 1 h").optional(),
  /** Defaults to the smaller of 10 s and the interval. */
  timeoutMs: z.number().int().min(MIN_TIMEOUT_MS, `the timeout must be at least ${MIN_TIMEOUT_MS} ms`).optional(),
  auth: scrapeAuthSchema.optional(),
  /** Labels attached to every series of this target (`job` overrides the default job, the target's name). */
  labels: targetLabelsSchema.optional(),
  /** Prometheus's honor_labels: on a clash the exposed label wins (default: the target's wins, the exposed one becomes exported_<name>). */
  honorLabels: z.boolean().optional(),
  enabled: z.boolean().optional(),
  /** Base URL of the target's net/http/pprof handlers (controller-runtime's PprofBindAddress), for goroutine leak diagnostics. */
  pprofUrl: scrapeUrlSchema.nullable().optional(),
});

/** A complete target definition (without its database id), defaults filled in. */
export const scrapeTargetSpecSchema = scrapeTargetFields
  .transform((target) => {
    const intervalMs = target.intervalMs ?? DEFAULT_INTERVAL_MS;
    return {
      name: target.name,
      url: target.url,
      intervalMs,
      timeoutMs: target.timeoutMs ?? Math.min(DEFAULT_TIMEOUT_MS, intervalMs),
      auth: target.auth ?? ({ kind: "none" } as ScrapeAuth),
      labels: target.labels ?? {},
      honorLabels: target.honorLabels ?? false,
      enabled: target.enabled ?? true,
      ...(target.pprofUrl ? { pprofUrl: target.pprofUrl } : {}),
    };
  })
  .superRefine((target, ctx) => {
    if (target.timeoutMs > target.intervalMs) {
      ctx.addIssue({ code: "custom", path: ["timeoutMs"], message: `the timeout (${target.timeoutMs} ms) must not exceed the interval (${target.intervalMs} ms)` });
    }
  });

export type ScrapeTargetInput = z.input<typeof scrapeTargetSpecSchema>;
export type ScrapeTargetSpec = z.output<typeof scrapeTargetSpecSchema>;

/** A stored target: its spec plus the database id. */
export type ScrapeTarget = ScrapeTargetSpec & { readonly id: number };
