import type { BackgroundService } from "../lifecycle/service-set";
import type { Logger } from "../log";
import type { SecretBox } from "../secrets";
import type { PrismaClient } from "../store/prisma";
import type { MetricFamily } from "./metric-family";
import { ScrapeScheduler } from "./scheduler";
import { Scraper } from "./scraper";
import { healthColumns, syntheticFamilies, targetLabels } from "./target-health";
import { type ScrapeAuth, type ScrapeTarget, type ScrapeTargetInput, type ScrapeTargetSpec, scrapeTargetSpecSchema } from "./target-schema";
import { RepeatingTask } from "../lifecycle/repeating-task";

declare module "../service-registry" {
  interface ServiceMap {
    targets: TargetsService;
  }
}

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
  origin: string;
  up: boolean | null;
  lastScrapeAt: number | null;
  lastDurationMs: number | null;
  lastSamples: number | null;
  lastError: string | null;
}

export type RecordScrape = (source: string, families: readonly MetricFamily[], ts: number) => void;

export interface TargetsServiceOptions {
  prisma: PrismaClient;
  secrets: SecretBox;
  /** Hands each successful scrape (plus the synthetic up/duration series) to the recorder. */
  record: RecordScrape;
  /** Targets from LOOPSCOPE_TARGETS_FILE / LOOPSCOPE_TARGETS, upserted by name at start. */
  configured?: ScrapeTargetSpec[];
  scraper?: Scraper;
  log: Logger;
  /**
   * How often the running service re-reads the stored targets, so targets added, changed
   * or removed through another replica (a follower's dashboard) are scraped by this one
   * (the leader). Default 15 s.
   */
  reloadEveryMs?: number;
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
        const families = [...(result.ok ? result.families : []), ...syntheticFamilies(result, targetLabels(target))];
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

  /** Brings the scheduler in line with the stored targets (unchanged targets keep their phase). */
  private async reload(): Promise<void> {
    const rows = await this.options.prisma.scrapeTarget.findMany();
    this.scheduler.replaceAll(rows.map((row) => this.toTarget(row)));
  }

  async stop(): Promise<void> {
    await this.reloads.stop();
    await this.scheduler.stop();
    await this.scraper.close();
  }

  async list(): Promise<TargetView[]> {
    const rows = await this.options.prisma.scrapeTarget.findMany({ orderBy: { name: "asc" } });
    return rows.map(view);
  }

  async create(input: ScrapeTargetInput): Promise<TargetView> {
    const spec = scrapeTargetSpecSchema.parse(input);
    const row = await this.options.prisma.scrapeTarget.create({ data: { ...this.columns(spec), origin: "api" } });
    this.scheduler.upsert(this.toTarget(row));
    return view(row);
  }

  /** Updates a target; an omitted credential keeps the stored one. */
  async update(id: number, input: Partial<ScrapeTargetInput>): Promise<TargetView> {
    const existing = await this.options.prisma.scrapeTarget.findUnique({ where: { id } });
    if (!existing) throw new TargetNotFoundError(id);
    const current = this.toTarget(existing);
    const spec = scrapeTargetSpecSchema.parse({ ...current, ...input, auth: input.auth ?? current.auth });
    const row = await this.options.prisma.scrapeTarget.update({ where: { id }, data: this.columns(spec) });
    this.scheduler.upsert(this.toTarget(row));
    return view(row);
  }

  async remove(id: number): Promise<void> {
    const deleted = await this.options.prisma.scrapeTarget.deleteMany({ where: { id } });
    if (deleted.count === 0) throw new TargetNotFoundError(id);
    this.scheduler.remove(id);
  }

  /** Scrapes a target right away (the "test" button) and returns its fresh health. */
  async scrapeNow(id: number): Promise<TargetView> {
    await this.scheduler.scrapeNow(id);
    const row = await this.options.prisma.scrapeTarget.findUnique({ where: { id } });
    if (!row) throw new TargetNotFoundError(id);
    return view(row);
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
