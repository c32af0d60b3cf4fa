import type { AlertRule as AlertRuleRow } from "../store/generated/client";
import type { PrismaClient } from "../store/prisma";
import { labelsFromJson } from "./labels";
import { type AlertRule, type AlertRuleDefinition, parseRule, RuleValidationError, validateRule } from "./rule-schema";

export class RuleNotFoundError extends Error {
  constructor(id: number) {
    super(`Alert rule ${id} does not exist.`);
    this.name = "RuleNotFoundError";
  }
}

export class RuleConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleConflictError";
  }
}

function toJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The stored row as rule input (so an update can patch it and re-validate). */
function rowAsInput(row: AlertRuleRow): Record<string, unknown> {
  return {
    name: row.name,
    kind: row.kind,
    spec: row.spec,
    forMs: row.forMs,
    keepFiringForMs: row.keepFiringForMs,
    intervalMs: row.intervalMs,
    labels: labelsFromJson(row.labels),
    annotations: labelsFromJson(row.annotations),
    enabled: row.enabled,
  };
}

function rowToRule(row: AlertRuleRow): AlertRule | { id: number; name: string; problems: string[] } {
  const result = validateRule(rowAsInput(row));
  if (!result.ok) return { id: row.id, name: row.name, problems: result.issues };
  return { ...result.rule, id: row.id, builtin: row.builtin, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function definitionData(rule: AlertRuleDefinition) {
  return {
    name: rule.name,
    kind: rule.kind,
    spec: toJson(rule.spec),
    forMs: rule.forMs,
    keepFiringForMs: rule.keepFiringForMs,
    intervalMs: rule.intervalMs,
    labels: rule.labels,
    annotations: rule.annotations,
    enabled: rule.enabled,
  };
}

/** Alert rules in Postgres; every write is validated (zod) first. */
export class RuleStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Valid rules, by name; `invalid` lists stored rows that no longer validate. */
  async listWithProblems(): Promise<{ rules: AlertRule[]; invalid: { id: number; name: string; problems: string[] }[] }> {
    const rows = await this.prisma.alertRule.findMany({ orderBy: { name: "asc" } });
    const rules: AlertRule[] = [];
    const invalid: { id: number; name: string; problems: string[] }[] = [];
    for (const row of rows) {
      const rule = rowToRule(row);
      if ("problems" in rule) invalid.push(rule);
      else rules.push(rule);
    }
    return { rules, invalid };
  }

  async list(): Promise<AlertRule[]> {
    return (await this.listWithProblems()).rules;
  }

  async get(id: number): Promise<AlertRule> {
    const row = await this.prisma.alertRule.findUnique({ where: { id } });
    if (!row) throw new RuleNotFoundError(id);
    const rule = rowToRule(row);
    if ("problems" in rule) throw new RuleValidationError(rule.problems);
    return rule;
  }

  /** Creates a rule; throws RuleValidationError (with every problem) or RuleConflictError. */
  async create(input: unknown, options: { builtin?: boolean } = {}): Promise<AlertRule> {
    const rule = parseRule(input);
    const existing = await this.prisma.alertRule.findUnique({ where: { name: rule.name } });
    if (existing) throw new RuleConflictError(`name: a rule named "${rule.name}" already exists; choose another name.`);
    const row = await this.prisma.alertRule.create({ data: { ...definitionData(rule), builtin: options.builtin ?? false } });
    return this.get(row.id);
  }

  /** Replaces the given fields of a rule (the rest is kept) and re-validates the whole. */
  async update(id: number, patch: Record<string, unknown>): Promise<AlertRule> {
    const row = await this.prisma.alertRule.findUnique({ where: { id } });
    if (!row) throw new RuleNotFoundError(id);
    const base = rowAsInput(row);
    for (const [given, stored] of [
      ["for", "forMs"],
      ["keepFiringFor", "keepFiringForMs"],
      ["interval", "intervalMs"],
    ] as const) {
      if (patch[given] !== undefined || patch[stored] !== undefined) delete base[stored];
    }
    const rule = parseRule({ ...base, ...patch });
    if (rule.name !== row.name) {
      const clash = await this.prisma.alertRule.findUnique({ where: { name: rule.name } });
      if (clash) throw new RuleConflictError(`name: a rule named "${rule.name}" already exists; choose another name.`);
    }
    await this.prisma.alertRule.update({ where: { id }, data: definitionData(rule) });
    return this.get(id);
  }

  /** Deletes a user rule. Built-in rules come back on start, so they can only be disabled. */
  async remove(id: number): Promise<void> {
    const row = await this.prisma.alertRule.findUnique({ where: { id } });
    if (!row) throw new RuleNotFoundError(id);
    if (row.builtin) throw new RuleConflictError(`"${row.name}" is a built-in rule and would be re-created on start; disable it instead.`);
    await this.prisma.alertRule.delete({ where: { id } });
  }

  /** Creates the built-in rules that do not exist yet (by name); existing ones, edited or not, are kept. */
  async ensureBuiltins(definitions: readonly AlertRuleDefinition[]): Promise<number> {
    if (definitions.length === 0) return 0;
    const existing = new Set(
      (await this.prisma.alertRule.findMany({ where: { name: { in: definitions.map((d) => d.name) } }, select: { name: true } })).map((r) => r.name),
    );
    const missing = definitions.filter((d) => !existing.has(d.name));
    if (missing.length === 0) return 0;
    const result = await this.prisma.alertRule.createMany({
      data: missing.map((d) => ({ ...definitionData(d), builtin: true })),
      skipDuplicates: true,
    });
    return result.count;
  }
}
