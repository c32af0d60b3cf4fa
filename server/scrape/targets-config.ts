import { readFile } from "node:fs/promises";
import { z } from "zod";
import { durationText } from "../../shared/duration";
import { type ScrapeTargetSpec, scrapeTargetSpecSchema } from "./target-schema";

/**
 * Scrape targets declared for a deployment rather than through the UI: a JSON file
 * (`LOOPSCOPE_TARGETS_FILE`) and/or a comma-separated list of URLs
 * (`LOOPSCOPE_TARGETS`). The result is validated in full or rejected with every problem
 * named (file, entry, field), so a typo never silently drops a target.
 *
 * File format — a JSON array, or `{ "targets": [...] }`; each entry is a URL string or:
 *   { "name": "orders-operator", "url": "http://orders-operator.ops:8080/metrics",
 *     "interval": "30s", "timeout": "5s",          // or intervalMs / timeoutMs
 *     "labels": { "team": "payments" },            // "job" here overrides the default job (the name)
 *     "honorLabels": false,                         // Prometheus's honor_labels
 *     "auth": { "kind": "bearer", "tokenFile": "/var/run/secrets/metrics/token" } }
 * Secrets may be inline (`token`, `password`) or read from a file (`tokenFile`,
 * `passwordFile`, e.g. a mounted Kubernetes Secret; trailing newlines are trimmed).
 */

export interface TargetsConfigSource {
  /** Path of the JSON targets file. */
  readonly file?: string;
  /** Comma-separated URLs. */
  readonly urls?: string;
}

export class TargetsConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid scrape target configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "TargetsConfigError";
  }
}


const fileAuthSchema = z.union([
  z.object({ kind: z.literal("none") }).strict(),
  z
    .object({ kind: z.literal("bearer"), token: z.string().optional(), tokenFile: z.string().min(1).optional() })
    .strict()
    .refine((a) => (a.token === undefined) !== (a.tokenFile === undefined), "give exactly one of token and tokenFile"),
  z
    .object({ kind: z.literal("basic"), username: z.string(), password: z.string().optional(), passwordFile: z.string().min(1).optional() })
    .strict()
    .refine((a) => (a.password === undefined) !== (a.passwordFile === undefined), "give exactly one of password and passwordFile"),
]);

const fileEntrySchema = z.union([
  z.string(),
  z
    .object({
      name: z.string().optional(),
      url: z.string(),
      interval: durationText().optional(),
      intervalMs: z.number().optional(),
      timeout: durationText().optional(),
      timeoutMs: z.number().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      honorLabels: z.boolean().optional(),
      auth: fileAuthSchema.optional(),
      enabled: z.boolean().optional(),
      pprofUrl: z.string().optional(),
    })
    .strict(),
]);

const fileSchema = z.union([z.array(fileEntrySchema), z.object({ targets: z.array(fileEntrySchema) }).strict()]);

type FileEntry = z.output<typeof fileEntrySchema>;

/** Reads both sources and returns the validated targets (file entries first). Throws {@link TargetsConfigError}. */
export async function loadScrapeTargets(source: TargetsConfigSource): Promise<ScrapeTargetSpec[]> {
  const problems: string[] = [];
  const entries: { where: string; entry: FileEntry }[] = [];

  if (source.file !== undefined && source.file !== "") {
    const where = source.file;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(source.file, "utf8"));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (error as Error).message;
      throw new TargetsConfigError([`${where}: cannot read the targets file (${reason})`]);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new TargetsConfigError(parsed.error.issues.map((issue) => `${where}: ${issuePath(issue.path)}${issue.message}`));
    const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.targets;
    for (const [index, entry] of list.entries()) entries.push({ where: `${where}: targets[${index}]`, entry });
  }
  for (const [index, url] of (source.urls ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "")
    .entries()) {
    entries.push({ where: `LOOPSCOPE_TARGETS[${index}]`, entry: url });
  }

  const specs: ScrapeTargetSpec[] = [];
  const claimed = new Set<string>(); // names of every entry, valid or not, so one typo does not hide a clash
  for (const { where, entry } of entries) {
    const candidate = await toCandidate(entry, where, problems);
    if (candidate === undefined) continue;
    if (candidate.name === undefined) {
      candidate.name = uniqueName(derivedName(candidate.url), claimed);
    } else if (claimed.has(candidate.name.trim())) {
      problems.push(`${where}: the name ${JSON.stringify(candidate.name.trim())} is used by another target`);
      continue;
    }
    claimed.add(candidate.name.trim());
    const parsed = scrapeTargetSpecSchema.safeParse(candidate);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => `${where}: ${issuePath(issue.path)}${issue.message}`));
      continue;
    }
    specs.push(parsed.data);
  }
  if (problems.length > 0) throw new TargetsConfigError(problems);
  return specs;
}

async function toCandidate(entry: FileEntry, where: string, problems: string[]): Promise<Record<string, unknown> & { name?: string; url: string } | undefined> {
  if (typeof entry === "string") return { url: entry };
  const candidate: Record<string, unknown> & { name?: string; url: string } = { url: entry.url };
  if (entry.name !== undefined) candidate.name = entry.name;
  if (entry.interval !== undefined && entry.intervalMs !== undefined) problems.push(`${where}: give interval or intervalMs, not both`);
  if (entry.timeout !== undefined && entry.timeoutMs !== undefined) problems.push(`${where}: give timeout or timeoutMs, not both`);
  const intervalMs = entry.intervalMs ?? entry.interval;
  const timeoutMs = entry.timeoutMs ?? entry.timeout;
  if (intervalMs !== undefined) candidate.intervalMs = intervalMs;
  if (timeoutMs !== undefined) candidate.timeoutMs = timeoutMs;
  if (entry.labels !== undefined) candidate.labels = entry.labels;
  if (entry.honorLabels !== undefined) candidate.honorLabels = entry.honorLabels;
  if (entry.enabled !== undefined) candidate.enabled = entry.enabled;
  if (entry.pprofUrl !== undefined) candidate.pprofUrl = entry.pprofUrl;
  const auth = entry.auth;
  if (auth?.kind === "bearer") {
    const token = auth.tokenFile === undefined ? auth.token : await readSecret(auth.tokenFile, where, problems);
    if (token === undefined) return undefined;
    candidate.auth = { kind: "bearer", token };
  } else if (auth?.kind === "basic") {
    const password = auth.passwordFile === undefined ? auth.password : await readSecret(auth.passwordFile, where, problems);
    if (password === undefined) return undefined;
    candidate.auth = { kind: "basic", username: auth.username, password };
  } else if (auth !== undefined) {
    candidate.auth = auth;
  }
  return candidate;
}

async function readSecret(path: string, where: string, problems: string[]): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).replace(/\r?\n$/, "");
  } catch (error) {
    problems.push(`${where}: cannot read the secret file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  }
}

/** A readable default name: host[:port] plus the path when it is not /metrics. */
function derivedName(url: string): string {
  try {
    const parsed = new URL(url);
    const text = parsed.pathname === "/metrics" || parsed.pathname === "/" ? parsed.host : `${parsed.host}${parsed.pathname}`;
    // Keep it within the name rules.
    return text.replace(/[^A-Za-z0-9._:/@ [\]-]/g, "").replace(/^[^A-Za-z0-9[]+/, "").slice(0, 128) || "target";
  } catch {
    return "target";
  }
}

function uniqueName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "" : `${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "")}: `;
}
