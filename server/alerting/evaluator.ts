import type { BackgroundService } from "../lifecycle/service-set";
import type { Logger } from "../log";
import type { PrismaClient } from "../store/prisma";
import { AlertStore } from "./alert-store";
import { buildCandidates, evaluateCondition } from "./conditions";
import type { RuleDataSources } from "./data-sources";
import { defaultRules } from "./default-rules";
import { type PreviewOptions, previewRule, type RulePreview } from "./preview";
import { type AlertRule, parseRule } from "./rule-schema";
import { evaluateRuleStep, type RuleAlert } from "./rule-state";
import { RuleStore } from "./rule-store";
import { RepeatingTask } from "../lifecycle/repeating-task";

export interface RuleHealth {
  ruleId: number;
  lastEvalAt: number | null;
  lastDurationMs: number | null;
  lastError: string | null;
}

export interface AlertEvaluatorOptions {
  prisma: PrismaClient;
  sources: RuleDataSources;
  /** Dashboard base URL, for `{{ $externalURL }}`. */
  externalURL: string;
  /** Controllers that get the built-in rules; asked at start and every `controllersEveryMs`. */
  controllers?: () => Promise<readonly string[]> | readonly string[];
  controllersEveryMs?: number;
  clock?: () => number;
  /** How often the loop looks for due rules (each rule still runs at its own interval). */
  tickMs?: number;
  /** Rules evaluated in parallel. */
  concurrency?: number;
  log?: Logger;
}

/**
 * The alert engine: evaluates every enabled rule at its interval with Prometheus
 * semantics (see rule-state.ts), persists alert states and appends transitions to
 * alert_events. State is loaded from Postgres on start, so pending/firing alerts survive
 * a restart. A failing data source leaves the rule's alerts as they were.
 */
export class AlertEvaluator implements BackgroundService {
  readonly name = "alerting";
  readonly rules: RuleStore;
  readonly alerts: AlertStore;
  private readonly clock: () => number;
  private states = new Map<number, Map<string, RuleAlert>>();
  private readonly nextEvalAt = new Map<number, number>();
  private readonly health = new Map<number, RuleHealth>();
  private readonly loop: RepeatingTask;
  private lastControllersAt = Number.NEGATIVE_INFINITY;
  private loaded = false;

  constructor(private readonly options: AlertEvaluatorOptions) {
    this.rules = new RuleStore(options.prisma);
    this.alerts = new AlertStore(options.prisma);
    this.clock = options.clock ?? Date.now;
    this.loop = new RepeatingTask({
      run: () => this.evaluateDue(),
      everyMs: options.tickMs ?? 1_000,
      onError: (error) => options.log?.error({ err: (error as Error).message }, "alert evaluation failed"),
    });
  }

  async start(): Promise<void> {
    await this.ensureDefaultRules();
    await this.load();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Creates built-in rules for controllers that have none yet. */
  async ensureDefaultRules(): Promise<number> {
    if (!this.options.controllers) return 0;
    this.lastControllersAt = this.clock();
    try {
      const controllers = await this.options.controllers();
      const created = await this.rules.ensureBuiltins(defaultRules(controllers));
      if (created > 0) this.options.log?.info({ created }, "built-in alert rules created");
      return created;
    } catch (error) {
      this.options.log?.warn({ err: (error as Error).message }, "could not create built-in alert rules");
      return 0;
    }
  }

  private async load(): Promise<void> {
    this.states = await this.alerts.loadAll();
    this.loaded = true;
  }

  /**
   * Evaluates the rules that are due at `now` (all of them on the first call), and
   * resolves or drops the alerts of rules that were disabled or deleted.
   */
  async evaluateDue(now = this.clock()): Promise<void> {
    if (!this.loaded) await this.load();
    if (this.options.controllers && now - this.lastControllersAt >= (this.options.controllersEveryMs ?? 60_000)) await this.ensureDefaultRules();
    const rules = (await this.rules.list()).filter((r) => r.enabled);
    const due = rules.filter((r) => (this.nextEvalAt.get(r.id) ?? Number.NEGATIVE_INFINITY) <= now);
    const active = new Set(rules.map((r) => r.id));
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const rule = due[next++];
        await this.evaluateRule(rule, now);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 4, Math.max(1, due.length)) }, worker));
    for (const ruleId of [...this.states.keys()]) {
      if (!active.has(ruleId)) await this.retire(ruleId, now);
    }
  }

  /** Evaluates one rule at `now` and persists the outcome. */
  async evaluateRule(rule: AlertRule, now = this.clock()): Promise<void> {
    const started = performance.now();
    this.nextEvalAt.set(rule.id, now + rule.intervalMs);
    const health: RuleHealth = { ruleId: rule.id, lastEvalAt: now, lastDurationMs: null, lastError: null };
    try {
      const samples = await evaluateCondition(rule, this.options.sources, now);
      const previous = this.states.get(rule.id) ?? new Map<string, RuleAlert>();
      const step = evaluateRuleStep(previous, buildCandidates(rule, samples, this.options.externalURL), rule, now);
      await this.alerts.persistStep(rule.id, previous, step);
      this.states.set(rule.id, step.alerts);
    } catch (error) {
      health.lastError = error instanceof Error ? error.message : String(error);
      this.options.log?.warn({ rule: rule.name, err: health.lastError }, "alert rule evaluation failed");
    }
    health.lastDurationMs = performance.now() - started;
    this.health.set(rule.id, health);
  }

  /** A rule that is gone or disabled: its firing alerts resolve, pending ones are dropped. */
  private async retire(ruleId: number, now: number): Promise<void> {
    const previous = this.states.get(ruleId);
    if (!previous) return;
    const step = evaluateRuleStep(previous, [], { forMs: 0, keepFiringForMs: 0 }, now);
    await this.alerts.persistStep(ruleId, previous, step);
    if (step.alerts.size === 0) {
      this.states.delete(ruleId);
      this.nextEvalAt.delete(ruleId);
      this.health.delete(ruleId);
    } else {
      this.states.set(ruleId, step.alerts);
    }
  }

  /** When a rule (stored or not yet saved) would have fired over the last `hours` (default 24). */
  async preview(input: unknown, options: Partial<PreviewOptions> & { hours?: number } = {}): Promise<RulePreview> {
    const rule = parseRule(input);
    const to = options.to ?? this.clock();
    const from = options.from ?? to - (options.hours ?? 24) * 3_600_000;
    return previewRule(rule, this.options.sources, { from, to, maxSteps: options.maxSteps, concurrency: options.concurrency });
  }

  ruleHealth(): RuleHealth[] {
    return [...this.health.values()];
  }
}

