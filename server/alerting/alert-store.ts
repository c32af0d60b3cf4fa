import type { AlertState as AlertStateRow } from "../store/generated/client";
import type { PrismaClient } from "../store/prisma";
import type { GroupableAlert } from "./grouping";
import { type Labels, labelsFromJson } from "./labels";
import { type AlertStatus, type EvaluationStep, RESOLVED_RETENTION_MS, type RuleAlert } from "./rule-state";

/** An alert as the API shows it. */
export interface AlertView {
  ruleId: number;
  fingerprint: string;
  labels: Labels;
  annotations: Labels;
  state: AlertStatus;
  value: number | null;
  activeAt: Date;
  firedAt: Date | null;
  resolvedAt: Date | null;
  lastTrueAt: Date | null;
}

/** One state change, for chart annotations and history. */
export interface AlertEventView {
  id: number;
  ruleId: number;
  fingerprint: string;
  labels: Labels;
  state: string;
  value: number | null;
  at: Date;
}

function rowToAlert(row: AlertStateRow): RuleAlert {
  return {
    fingerprint: row.fingerprint,
    labels: labelsFromJson(row.labels),
    annotations: labelsFromJson(row.annotations),
    value: row.value ?? Number.NaN,
    status: row.state as AlertStatus,
    activeAt: row.activeAt.getTime(),
    firedAt: row.firedAt?.getTime(),
    resolvedAt: row.resolvedAt?.getTime(),
    lastTrueAt: (row.lastTrueAt ?? row.activeAt).getTime(),
  };
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function sameAlert(a: RuleAlert | undefined, b: RuleAlert): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.value === b.value &&
    a.firedAt === b.firedAt &&
    a.resolvedAt === b.resolvedAt &&
    a.activeAt === b.activeAt &&
    a.lastTrueAt === b.lastTrueAt &&
    JSON.stringify(a.annotations) === JSON.stringify(b.annotations)
  );
}

/** Alert states (one row per rule + label set) and their transition history in Postgres. */
export class AlertStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Every stored alert by rule, to resume evaluation where it stopped. */
  async loadAll(): Promise<Map<number, Map<string, RuleAlert>>> {
    const rows = await this.prisma.alertState.findMany();
    const byRule = new Map<number, Map<string, RuleAlert>>();
    for (const row of rows) {
      let alerts = byRule.get(row.ruleId);
      if (!alerts) {
        alerts = new Map();
        byRule.set(row.ruleId, alerts);
      }
      alerts.set(row.fingerprint, rowToAlert(row));
    }
    return byRule;
  }

  /** Writes one evaluation's changes atomically: changed alerts, removals, transitions. */
  async persistStep(ruleId: number, previous: ReadonlyMap<string, RuleAlert>, step: EvaluationStep): Promise<void> {
    const writes = [];
    for (const alert of step.alerts.values()) {
      if (sameAlert(previous.get(alert.fingerprint), alert)) continue;
      const data = {
        labels: alert.labels,
        annotations: alert.annotations,
        state: alert.status,
        value: finiteOrNull(alert.value),
        activeAt: new Date(alert.activeAt),
        firedAt: alert.firedAt === undefined ? null : new Date(alert.firedAt),
        lastTrueAt: new Date(alert.lastTrueAt),
        resolvedAt: alert.resolvedAt === undefined ? null : new Date(alert.resolvedAt),
      };
      writes.push(
        this.prisma.alertState.upsert({
          where: { ruleId_fingerprint: { ruleId, fingerprint: alert.fingerprint } },
          create: { ruleId, fingerprint: alert.fingerprint, ...data },
          update: data,
        }),
      );
    }
    if (step.removed.length > 0) writes.push(this.prisma.alertState.deleteMany({ where: { ruleId, fingerprint: { in: step.removed } } }));
    if (step.transitions.length > 0) {
      writes.push(
        this.prisma.alertEvent.createMany({
          data: step.transitions.map((t) => ({ ruleId, fingerprint: t.fingerprint, labels: t.labels, state: t.state, value: finiteOrNull(t.value), at: new Date(t.at) })),
        }),
      );
    }
    if (writes.length > 0) await this.prisma.$transaction(writes);
  }

  async list(filter: { states?: AlertStatus[]; ruleId?: number } = {}): Promise<AlertView[]> {
    const rows = await this.prisma.alertState.findMany({
      where: { ...(filter.states ? { state: { in: filter.states } } : {}), ...(filter.ruleId !== undefined ? { ruleId: filter.ruleId } : {}) },
      orderBy: [{ state: "asc" }, { activeAt: "desc" }],
    });
    return rows.map((row) => ({
      ruleId: row.ruleId,
      fingerprint: row.fingerprint,
      labels: labelsFromJson(row.labels),
      annotations: labelsFromJson(row.annotations),
      state: row.state as AlertStatus,
      value: row.value,
      activeAt: row.activeAt,
      firedAt: row.firedAt,
      resolvedAt: row.resolvedAt,
      lastTrueAt: row.lastTrueAt,
    }));
  }

  /** Firing alerts and alerts resolved within the retention: what the notifier routes. */
  async notifiable(now: number): Promise<GroupableAlert[]> {
    const rows = await this.prisma.alertState.findMany({
      where: {
        OR: [{ state: "firing" }, { state: "resolved", resolvedAt: { gte: new Date(now - RESOLVED_RETENTION_MS) } }],
      },
    });
    return rows.map((row) => ({
      fingerprint: row.fingerprint,
      labels: labelsFromJson(row.labels),
      annotations: labelsFromJson(row.annotations),
      status: row.state === "firing" ? "firing" : "resolved",
      startsAt: (row.firedAt ?? row.activeAt).getTime(),
      endsAt: row.state === "resolved" ? row.resolvedAt?.getTime() : undefined,
    }));
  }

  /** Deletes transitions older than `before`; returns how many. */
  async pruneHistory(before: number): Promise<number> {
    const result = await this.prisma.alertEvent.deleteMany({ where: { at: { lt: new Date(before) } } });
    return result.count;
  }

  async history(filter: { from?: Date; to?: Date; ruleId?: number; fingerprint?: string; limit?: number } = {}): Promise<AlertEventView[]> {
    const rows = await this.prisma.alertEvent.findMany({
      where: {
        ...(filter.ruleId !== undefined ? { ruleId: filter.ruleId } : {}),
        ...(filter.fingerprint ? { fingerprint: filter.fingerprint } : {}),
        ...(filter.from || filter.to ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lte: filter.to } : {}) } } : {}),
      },
      orderBy: { at: "desc" },
      take: Math.min(filter.limit ?? 500, 5_000),
    });
    return rows.map((row) => ({
      id: row.id,
      ruleId: row.ruleId,
      fingerprint: row.fingerprint,
      labels: labelsFromJson(row.labels),
      state: row.state,
      value: row.value,
      at: row.at,
    }));
  }
}
