import type { BackgroundService } from "../lifecycle/service-set";
import type { Logger } from "../log";
import type { SecretBox } from "../secrets";
import type { PrismaClient } from "../store/prisma";
import type { MetricFamily } from "./metric-family";
import { ScrapeScheduler } from "./scheduler";
import { Scraper } from "./scraper";
import { checkOutboundHost, DEFAULT_OUTBOUND_POLICY, type OutboundPolicy } from "../outbound/policy";
import { healthColumns, syntheticFamilies } from "./target-health";
import { targetLabels, withTargetLabels } from "./target-labels";
import { type ScrapeAuth, type ScrapeTarget, type ScrapeTargetInput, type ScrapeTargetSpec, scrapeTargetSpecSchema } from "./target-schema";
import { RepeatingTask } from "../lifecycle/repeating-task";
import { keepsCredential } from "../outbound/credential-scope";


/** What the API shows of a target: never its credential, only whether one is stored. */
export interface TargetView {
  id: number;
  name: string;
  url: string;
  intervalMs: number;
  timeoutMs: number;
  enabled: boolean;
  authKind: string;
  authUser: string | null;
  hasSecret: boolean;
  labels: Record<string, string>;
  honorLabels: boolean;
  /** Base URL of its net/http/pprof handlers, when goroutines are collected. */
  pprofUrl?: string;
  origin: string;
  up: boolean | null;
  lastScrapeAt: number | null;
  lastDurationMs: number | null;
  lastSamples: number | null;
  lastError: string | null;
}

export type RecordScrape = (source: string, families: readonly MetricFamily[], ts: number) => void;
/** Ends every recorded series of a source with a staleness marker. */
export type EndSource = (source: string) => void;
/** Forgets a source's series without ending them (its target moved to another replica, which goes on scraping it). */
export type ForgetSource = (source: string) => void;

export interface TargetsServiceOptions {
  prisma: PrismaClient;
  secrets: SecretBox;
  /** Hands each successful scrape (plus the synthetic up/duration series) to the recorder. */
  record: RecordScrape;
  /** Ends a target's series (stale markers) when it is removed or disabled, or when scraping stops in this replica. */
  endSource?: EndSource;
  /** Scrape sharding (server/scrape/scrape-shards.ts): whether this replica scrapes a target; default all. */
  owns?: (targetId: number) => boolean;
  forgetSource?: ForgetSource;
  /** Targets from LOOPSCOPE_TARGETS_FILE / LOOPSCOPE_TARGETS, upserted by name at start. */
  configured?: ScrapeTargetSpec[];
  scraper?: Scraper;
  /** Where targets may point (checked when a target is saved, and again by the scraper on every connect). */
  policy?: OutboundPolicy;
  log: Logger;
  /**
   * How often the running service re-reads the stored targets, so targets added, changed
   * or removed through another replica (a follower's dashboard) are scraped by this one
   * (the leader). Default 15 s.
   */
  reloadEveryMs?: number;
}

/** A target whose URL the outbound policy refuses: rejected when saved, not discovered at the first scrape. */
export class TargetRefusedError extends Error {
  constructor(reason: string) {
    super(`url: ${reason}`);
    this.name = "TargetRefusedError";
  }
}

export class TargetNotFoundError extends Error {
  constructor(id: number) {
    super(`No scrape target with id ${id}.`);
    this.name = "TargetNotFoundError";
  }
}

type Row = Awaited<ReturnType<PrismaClient["scrapeTarget"]["findMany"]>>[number];

/**
 * The scrape targets: stored in Postgres (credentials encrypted), scraped on their
 * intervals, their health written back to their rows, their samples recorded.
 */
export class TargetsService implements BackgroundService {
  readonly name = "scrape";
  private readonly scraper: Scraper;
  private readonly scheduler: ScrapeScheduler;
  private readonly reloads: RepeatingTask;

  constructor(private readonly options: TargetsServiceOptions) {
    this.scraper = options.scraper ?? new Scraper();
    this.scheduler = new ScrapeScheduler({
      scraper: this.scraper,
      logger: options.log,
      onResult: async (target, result) => {
        const labels = targetLabels(target);
        const families = [...(result.ok ? withTargetLabels(result.families, labels, target.honorLabels) : []), ...syntheticFamilies(result, labels)];
        options.record(`target:${target.id}`, families, result.scrapedAt);
        await options.prisma.scrapeTarget.update({ where: { id: target.id }, data: healthColumns(result) }).catch((error: unknown) => {
          options.log.warn({ target: target.name, err: String(error) }, "could not store scrape health");
        });
      },
    });
    this.reloads = new RepeatingTask({
      run: () => this.reload(),
      everyMs: options.reloadEveryMs ?? 15_000,
      onError: (error) => options.log.warn({ err: String(error) }, "could not reload the scrape targets"),
      unref: true,
    });
  }

  async start(): Promise<void> {
    for (const spec of this.options.configured ?? []) {
      const data = { ...this.columns(spec), origin: "config" };
      await this.options.prisma.scrapeTarget.upsert({ where: { name: spec.name }, create: data, update: data });
    }
    await this.reload();
    this.scheduler.start();
    this.reloads.start(this.options.reloadEveryMs ?? 15_000);
  }

  /**
   * Brings the scheduler in line with the stored targets this replica owns (unchanged
   * targets keep their phase). A target no longer scraped here ends its series, unless it
   * only moved to another replica's share: that replica goes on with the same series.
   */
  private async reload(): Promise<void> {
    const rows = await this.options.prisma.scrapeTarget.findMany();
    const before = this.scraped();
    this.scheduler.replaceAll(rows.filter((row) => this.owns(row.id)).map((row) => this.toTarget(row)));
    const after = new Set(this.scraped());
    const movedAway = new Set(rows.filter((row) => row.enabled && !this.owns(row.id)).map((row) => row.id));
    for (const id of before) {
      if (after.has(id)) continue;
      if (movedAway.has(id)) this.options.forgetSource?.(`target:${id}`);
      else this.endTarget(id);
    }
  }

  private owns(id: number): boolean {
    return this.options.owns?.(id) ?? true;
  }

  /** This replica's share changed: scrape the targets it owns now (and stop the others). */
  reshard(): Promise<void> {
    return this.reload().catch((error: unknown) => this.options.log.warn({ err: String(error) }, "could not reload the scrape targets after a shard change"));
  }

  /** Schedules a stored target here if this replica owns it (else makes sure it is not scraped here). */
  private schedule(row: Row): void {
    if (this.owns(row.id)) this.scheduler.upsert(this.toTarget(row));
    else this.scheduler.remove(row.id);
  }

  /** Ids of the enabled targets this replica scrapes (all of them unless sharded). */
  scrapedIds(): number[] {
    return this.scraped().sort((a, b) => a - b);
  }

  /** Ids of the targets being scraped. */
  private scraped(): number[] {
    return this.scheduler
      .list()
      .filter((t) => t.enabled)
      .map((t) => t.id);
  }

  private endTarget(id: number): void {
    this.options.endSource?.(`target:${id}`);
  }

  async stop(): Promise<void> {
    await this.reloads.stop();
    const scraped = this.scraped();
    await this.scheduler.stop();
    await this.scraper.close();
    for (const id of scraped) this.endTarget(id);
  }

  /** Enabled targets with a pprof base URL, credentials included (for the goroutine collector only). */
  /** Enabled targets with a pprof URL, with the `job` and `instance` labels their scraped series carry. */
  async pprofTargets(): Promise<{ id: number; name: string; pprofUrl: string; auth: ScrapeAuth; series: { job: string; instance: string } }[]> {
    const rows = await this.options.prisma.scrapeTarget.findMany({ where: { enabled: true, pprofUrl: { not: null } } });
    return rows
      .map((row) => this.toTarget(row))
      .flatMap((t) => {
        if (!t.pprofUrl) return [];
        const labels = targetLabels(t);
        return [{ id: t.id, name: t.name, pprofUrl: t.pprofUrl, auth: t.auth, series: { job: labels.job, instance: labels.instance } }];
      });
  }

  async list(): Promise<TargetView[]> {
    const rows = await this.options.prisma.scrapeTarget.findMany({ orderBy: { name: "asc" } });
    return rows.map(view);
  }

  async create(input: ScrapeTargetInput): Promise<TargetView> {
    const spec = this.checked(scrapeTargetSpecSchema.parse(input));
    const row = await this.options.prisma.scrapeTarget.create({ data: { ...this.columns(spec), origin: "api" } });
    this.schedule(row);
    return view(row);
  }

  /** Updates a target; an omitted credential keeps the stored one. */
  async update(id: number, input: Partial<ScrapeTargetInput>): Promise<TargetView> {
    const existing = await this.options.prisma.scrapeTarget.findUnique({ where: { id } });
    if (!existing) throw new TargetNotFoundError(id);
    const current = this.toTarget(existing);
    // A credential stays with its origin: moving the URL elsewhere without giving it again drops it.
    const auth = input.auth ?? (keepsCredential(current.url, input.url) ? current.auth : { kind: "none" as const });
    const spec = this.checked(scrapeTargetSpecSchema.parse({ ...current, ...input, auth }));
    const row = await this.options.prisma.scrapeTarget.update({ where: { id }, data: this.columns(spec) });
    this.schedule(row);
    if (existing.enabled && !row.enabled) this.endTarget(id);
    return view(row);
  }

  async remove(id: number): Promise<void> {
    const deleted = await this.options.prisma.scrapeTarget.deleteMany({ where: { id } });
    if (deleted.count === 0) throw new TargetNotFoundError(id);
    this.scheduler.remove(id);
    this.endTarget(id);
  }

  /** Scrapes a target right away (the "test" button) and returns its fresh health. */
  async scrapeNow(id: number): Promise<TargetView> {
    await this.scheduler.scrapeNow(id);
    const row = await this.options.prisma.scrapeTarget.findUnique({ where: { id } });
    if (!row) throw new TargetNotFoundError(id);
    return view(row);
  }

  /** The spec, if the outbound policy lets its URL be reached (host names are checked again, resolved, at every connect). */
  private checked(spec: ScrapeTargetSpec): ScrapeTargetSpec {
    const verdict = checkOutboundHost(new URL(spec.url).hostname, this.options.policy ?? DEFAULT_OUTBOUND_POLICY);
    if (!verdict.allowed) throw new TargetRefusedError(verdict.reason);
    return spec;
  }

  private columns(spec: ScrapeTargetSpec) {
    const auth = spec.auth;
    const secret = auth.kind === "bearer" ? auth.token : auth.kind === "basic" ? auth.password : null;
    return {
      name: spec.name,
      url: spec.url,
      intervalMs: spec.intervalMs,
      timeoutMs: spec.timeoutMs,
      enabled: spec.enabled,
      labels: spec.labels,
      honorLabels: spec.honorLabels,
      pprofUrl: spec.pprofUrl ?? null,
      authKind: auth.kind,
      authUser: auth.kind === "basic" ? auth.username : null,
      authSecret: secret === null ? null : this.options.secrets.encrypt(secret),
    };
  }

  private toTarget(row: Row): ScrapeTarget {
    const secret = row.authSecret ? this.options.secrets.decrypt(row.authSecret) : "";
    const auth: ScrapeAuth =
      row.authKind === "bearer"
        ? { kind: "bearer", token: secret }
        : row.authKind === "basic"
          ? { kind: "basic", username: row.authUser ?? "", password: secret }
          : { kind: "none" };
    return { ...common(row), auth };
  }
}

/** What a stored target and its API view share. */
function common(row: Row) {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    intervalMs: row.intervalMs,
    timeoutMs: row.timeoutMs,
    enabled: row.enabled,
    labels: (row.labels ?? {}) as Record<string, string>,
    honorLabels: row.honorLabels,
    ...(row.pprofUrl ? { pprofUrl: row.pprofUrl } : {}),
  };
}

function view(row: Row): TargetView {
  return {
    ...common(row),
    authKind: row.authKind,
    authUser: row.authUser,
    hasSecret: row.authSecret !== null,
    origin: row.origin,
    up: row.up,
    lastScrapeAt: row.lastScrapeAt?.getTime() ?? null,
    lastDurationMs: row.lastDurationMs,
    lastSamples: row.lastSamples,
    lastError: row.lastError,
  };
}
