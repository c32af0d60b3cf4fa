import { projectFrames, readCreationStack, stackSignature } from "./creation-stack";
import type { GroupObservation } from "./leak-groups";
import { livenessOf } from "./liveness";
import { settledAt } from "./reconcile-settlement";
import { type ResourceTable, UNATTRIBUTED } from "./resource-table";
import type { FullCollections } from "./full-collections";
import type { SourceMapResolver } from "./source-maps";
import type { TrackedResource } from "./tracked-resource";

const MAX_KEYS_PER_OBSERVATION = 10;

export interface OverdueOptions {
  graceMs: number;
  projectRoot: string;
  /** Maps creation stacks' generated positions back to the source (none: as V8 formats them). */
  sourceMaps?: SourceMapResolver;
  /**
   * Full collections seen: a pending promise is only judged once one began after the
   * tracker stopped holding it (until then it may be garbage that no collection has freed yet).
   */
  collections: Pick<FullCollections, "since">;
}

/** One sample's findings. */
export interface OverdueResources {
  /** Overdue live resources by group key. */
  observations: Map<string, GroupObservation>;
  /** Per controller: settled reconciles still holding overdue live handles (promises excluded). */
  leakingReconciles: Map<string, number>;
}

/**
 * Walks the table once: forgets what is gone, skips what is exempt or still within
 * its grace period (after its reconcile settled; after creation for unattributed
 * resources; never while the reconcile runs) and pending promises no full collection
 * has had a chance to free yet, and groups the rest by type and creation stack.
 */
export function observeOverdue(table: ResourceTable, now: number, options: OverdueOptions): OverdueResources {
  const observations = new Map<string, GroupObservation>();
  const reconciles = new Map<string, Set<number>>();
  for (const resource of table.values()) {
    if (resource.type === "PROMISE" && !survivedCollection(resource, options)) continue;
    const state = livenessOf(resource, now, options.graceMs);
    if (state === "gone") {
      table.delete(resource.id);
      continue;
    }
    if (state === "exempt" || !isOverdue(resource, now, options.graceMs)) continue;
    if (resource.type === "FileDescriptor" && livenessOf(resource, now, options.graceMs, true) === "gone") {
      table.delete(resource.id);
      continue;
    }
    observe(observations, resource, options);
    const context = resource.context;
    if (context && resource.type !== "PROMISE") {
      const ids = reconciles.get(context.controller) ?? new Set<number>();
      ids.add(context.reconcileId);
      reconciles.set(context.controller, ids);
    }
  }
  return { observations, leakingReconciles: new Map([...reconciles].map(([controller, ids]) => [controller, ids.size])) };
}

function survivedCollection(resource: TrackedResource, options: OverdueOptions): boolean {
  return resource.weakenedAt !== undefined && options.collections.since(resource.weakenedAt);
}

function isOverdue(resource: TrackedResource, now: number, graceMs: number): boolean {
  if (resource.context === undefined) return now - resource.createdAt >= graceMs;
  const settled = settledAt(resource.context);
  return settled !== undefined && now - settled >= graceMs;
}

function observe(observations: Map<string, GroupObservation>, resource: TrackedResource, options: OverdueOptions): void {
  const key = groupKeyOf(resource, options);
  let observation = observations.get(key);
  if (!observation) {
    observation = {
      descriptor: { key, type: resource.type, attributed: resource.context !== undefined, frames: resource.frames ?? [], stackSampled: resource.stack !== undefined },
      count: 0,
      byController: new Map(),
      keys: new Set(),
    };
    observations.set(key, observation);
  }
  observation.count += 1;
  const context = resource.context;
  if (context) {
    observation.byController.set(context.controller, (observation.byController.get(context.controller) ?? 0) + 1);
    if (observation.keys.size < MAX_KEYS_PER_OBSERVATION) observation.keys.add(context.key);
  }
}

/**
 * Type plus creation-stack signature (formatted here, once per resource, only for
 * overdue ones). Resources without a sampled stack, or with no project frame in it,
 * are grouped per controller so they are still told apart.
 */
function groupKeyOf(resource: TrackedResource, options: OverdueOptions): string {
  if (resource.groupKey !== undefined) return resource.groupKey;
  const frames = resource.stack ? projectFrames(readCreationStack(resource.stack, options.sourceMaps), options.projectRoot) : [];
  const signature = resource.stack ? stackSignature(frames) : "(stack not sampled)";
  const perController = frames.length === 0 ? `|${resource.context?.controller ?? UNATTRIBUTED}` : "";
  resource.frames = frames;
  resource.groupKey = `${resource.context ? "reconcile" : "unattributed"}|${resource.type}|${signature}${perController}`;
  return resource.groupKey;
}
