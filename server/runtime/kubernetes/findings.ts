import type { ObjectFinding, Severity } from "./object-health";

/** A health finding as the UI lists it. */
export interface Finding {
  /** Stable identity: kind, key, reason and subject. */
  id: string;
  severity: Severity;
  /** The watched kind ("pods", "deployments", "nodes"). */
  kind: string;
  /** namespace/name, or name for cluster-scoped objects. */
  key: string;
  reason: string;
  subject?: string;
  message: string;
  /** When the condition began (from the object when it says, else when first seen). */
  since: number;
  /** When it was last confirmed by an evaluation. */
  updatedAt: number;
}

export interface FindingFilter {
  kind?: string;
  severity?: Severity;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function objectId(kind: string, key: string): string {
  return `${kind}\u0000${key}`;
}

/**
 * The current findings of every evaluated object, bounded: past `maxFindings` the
 * least severe, least recently confirmed findings are dropped (and counted), so a very
 * sick cluster cannot grow it without limit. An object's findings are replaced as a
 * whole on each evaluation; a condition that persists keeps its `since`.
 */
export class FindingsStore {
  private readonly byObject = new Map<string, Map<string, Finding>>();
  private count = 0;
  private droppedCount = 0;

  constructor(private readonly maxFindings = 5_000) {
    if (!(maxFindings >= 1)) throw new RangeError(`maxFindings must be at least 1, got ${maxFindings}`);
  }

  /** Sets the object's findings to exactly these. */
  replace(kind: string, key: string, findings: readonly ObjectFinding[], now: number): void {
    const id = objectId(kind, key);
    const previous = this.byObject.get(id);
    if (findings.length === 0) {
      this.remove(kind, key);
      return;
    }
    const next = new Map<string, Finding>();
    for (const finding of findings) {
      const findingId = `${kind}/${key}/${finding.reason}${finding.subject ? `/${finding.subject}` : ""}`;
      const known = previous?.get(findingId);
      next.set(findingId, {
        id: findingId,
        severity: finding.severity,
        kind,
        key,
        reason: finding.reason,
        ...(finding.subject ? { subject: finding.subject } : {}),
        message: finding.message,
        since: finding.since ?? known?.since ?? now,
        updatedAt: now,
      });
    }
    this.count += next.size - (previous?.size ?? 0);
    this.byObject.set(id, next);
    this.enforceBound();
  }

  /** Forgets the object (deleted, or healthy again). */
  remove(kind: string, key: string): void {
    const id = objectId(kind, key);
    const previous = this.byObject.get(id);
    if (!previous) return;
    this.count -= previous.size;
    this.byObject.delete(id);
  }

  /** Findings, most severe first, then longest-standing first. */
  findings(filter: FindingFilter = {}): Finding[] {
    const all: Finding[] = [];
    for (const findings of this.byObject.values()) {
      for (const finding of findings.values()) {
        if (filter.kind !== undefined && finding.kind !== filter.kind) continue;
        if (filter.severity !== undefined && finding.severity !== filter.severity) continue;
        all.push(finding);
      }
    }
    return all.sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.since - b.since || a.id.localeCompare(b.id));
  }

  counts(): Record<Severity, number> {
    const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
    for (const findings of this.byObject.values()) for (const finding of findings.values()) counts[finding.severity] += 1;
    return counts;
  }

  get size(): number {
    return this.count;
  }

  /** Findings dropped to stay within the bound. */
  get dropped(): number {
    return this.droppedCount;
  }

  private enforceBound(): void {
    while (this.count > this.maxFindings) {
      let victim: { objectId: string; finding: Finding } | undefined;
      for (const [id, findings] of this.byObject) {
        for (const finding of findings.values()) {
          if (
            !victim ||
            RANK[finding.severity] > RANK[victim.finding.severity] ||
            (finding.severity === victim.finding.severity && finding.updatedAt < victim.finding.updatedAt)
          ) {
            victim = { objectId: id, finding };
          }
        }
      }
      if (!victim) return;
      const findings = this.byObject.get(victim.objectId);
      findings?.delete(victim.finding.id);
      if (findings && findings.size === 0) this.byObject.delete(victim.objectId);
      this.count -= 1;
      this.droppedCount += 1;
    }
  }
}
