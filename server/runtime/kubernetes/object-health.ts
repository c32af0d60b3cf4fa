import { z } from "zod";

/**
 * Health rules for cluster objects, as an SRE reads `kubectl get`: crash-looping and
 * restarting containers, pods stuck pending, deployments short of available replicas,
 * nodes not ready. Pure: an object and the current time in, findings out. Objects may
 * be raw JSON (watch events) or client-node models (Date-valued timestamps); both parse.
 */

export type Severity = "critical" | "warning" | "info";

export interface HealthThresholds {
  /** A container with more restarts than this is reported as restarting. */
  restartCount: number;
  /** …as long as its last restart is this recent (kubectl's "5 (3d ago)" is history, not a problem). */
  restartWindowMs: number;
  /** A pod still Pending this long after creation is reported. */
  pendingMs: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  restartCount: 3,
  restartWindowMs: 60 * 60_000,
  pendingMs: 5 * 60_000,
};

export interface ObjectFinding {
  severity: Severity;
  /** A stable CamelCase reason, e.g. "CrashLoopBackOff", "PendingTooLong", "NodeNotReady". */
  reason: string;
  /** What inside the object it is about (a container name), when not the whole object. */
  subject?: string;
  message: string;
  /** When the condition began, when the object says so (else the store uses first-seen time). */
  since?: number;
}

export interface HealthEvaluation {
  findings: ObjectFinding[];
  /** Evaluate again after this long even without a change (a threshold will be crossed then). */
  recheckAfterMs?: number;
}

const timestamp = z
  .union([z.string(), z.date()])
  .nullish()
  .transform((value) => {
    if (value === null || value === undefined) return undefined;
    const ms = value instanceof Date ? value.getTime() : Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  });

const condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().nullish(),
  message: z.string().nullish(),
  lastTransitionTime: timestamp,
});

const containerStatus = z.object({
  name: z.string(),
  restartCount: z.number().nullish(),
  state: z
    .object({
      waiting: z.object({ reason: z.string().nullish(), message: z.string().nullish() }).nullish(),
    })
    .nullish(),
  lastState: z
    .object({
      terminated: z
        .object({ reason: z.string().nullish(), exitCode: z.number().nullish(), finishedAt: timestamp })
        .nullish(),
    })
    .nullish(),
});

const metadata = z.object({
  name: z.string(),
  namespace: z.string().nullish(),
  creationTimestamp: timestamp,
  deletionTimestamp: timestamp,
  generation: z.number().nullish(),
});

const podSchema = z.object({
  metadata,
  status: z
    .object({
      phase: z.string().nullish(),
      reason: z.string().nullish(),
      message: z.string().nullish(),
      conditions: z.array(condition).nullish(),
      containerStatuses: z.array(containerStatus).nullish(),
      initContainerStatuses: z.array(containerStatus).nullish(),
    })
    .nullish(),
});

const deploymentSchema = z.object({
  metadata,
  spec: z.object({ replicas: z.number().nullish(), paused: z.boolean().nullish() }).nullish(),
  status: z
    .object({
      observedGeneration: z.number().nullish(),
      replicas: z.number().nullish(),
      updatedReplicas: z.number().nullish(),
      availableReplicas: z.number().nullish(),
      unavailableReplicas: z.number().nullish(),
      conditions: z.array(condition).nullish(),
    })
    .nullish(),
});

const nodeSchema = z.object({
  metadata,
  spec: z.object({ unschedulable: z.boolean().nullish() }).nullish(),
  status: z.object({ conditions: z.array(condition).nullish() }).nullish(),
});

/** Waiting reasons that mean a container cannot start until someone fixes something. */
const STUCK_WAITING = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

type ContainerStatus = z.infer<typeof containerStatus>;

function lastExit(status: ContainerStatus): string {
  const terminated = status.lastState?.terminated;
  if (!terminated) return "";
  const parts = [terminated.reason, terminated.exitCode !== null && terminated.exitCode !== undefined ? `exit code ${terminated.exitCode}` : undefined];
  const described = parts.filter(Boolean).join(", ");
  return described ? `; last exit: ${described}` : "";
}

/** Ends a message with one full stop, even when it ends with quoted API text that has one. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.floor(ms / 1000))}s`;
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

function minRecheck(current: number | undefined, next: number): number {
  return current === undefined ? next : Math.min(current, next);
}

/** Pod rules: crash loops, frequent restarts, containers stuck waiting, pending too long, failed. */
export function evaluatePod(object: unknown, now: number, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS): HealthEvaluation {
  const parsed = podSchema.safeParse(object);
  if (!parsed.success) return { findings: [] };
  const pod = parsed.data;
  const findings: ObjectFinding[] = [];
  let recheckAfterMs: number | undefined;
  if (pod.metadata.deletionTimestamp !== undefined) return { findings };
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const status of statuses) {
    const restarts = status.restartCount ?? 0;
    const waiting = status.state?.waiting?.reason ?? undefined;
    if (waiting === "CrashLoopBackOff") {
      findings.push({
        severity: "critical",
        reason: "CrashLoopBackOff",
        subject: status.name,
        message: sentence(`Container ${status.name} is crash-looping (${restarts} restarts${lastExit(status)})`),
      });
      continue;
    }
    if (waiting && STUCK_WAITING.has(waiting)) {
      const detail = status.state?.waiting?.message;
      findings.push({
        severity: "warning",
        reason: waiting,
        subject: status.name,
        message: sentence(`Container ${status.name} cannot start: ${waiting}${detail ? ` (${detail})` : ""}`),
      });
    }
    if (restarts > thresholds.restartCount) {
      const finishedAt = status.lastState?.terminated?.finishedAt;
      const age = finishedAt === undefined ? undefined : now - finishedAt;
      if (age === undefined || age < thresholds.restartWindowMs) {
        findings.push({
          severity: "warning",
          reason: "FrequentRestarts",
          subject: status.name,
          message: sentence(
            `Container ${status.name} has restarted ${restarts} times${age === undefined ? "" : `, last ${formatDuration(age)} ago`}${lastExit(status)}`,
          ),
        });
        if (age !== undefined) recheckAfterMs = minRecheck(recheckAfterMs, thresholds.restartWindowMs - age);
      }
    }
  }
  const phase = pod.status?.phase;
  const created = pod.metadata.creationTimestamp;
  if (phase === "Pending" && created !== undefined) {
    const pendingFor = now - created;
    if (pendingFor >= thresholds.pendingMs) {
      const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
      const why =
        scheduled && scheduled.status !== "True"
          ? `: ${[scheduled.reason, scheduled.message].filter(Boolean).join(": ")}`
          : scheduled?.status === "True"
            ? ": scheduled, waiting for its containers"
            : "";
      findings.push({
        severity: "warning",
        reason: "PendingTooLong",
        message: sentence(`Pod has been Pending for ${formatDuration(pendingFor)}${why}`),
        since: created,
      });
    } else {
      recheckAfterMs = minRecheck(recheckAfterMs, thresholds.pendingMs - pendingFor);
    }
  }
  if (phase === "Failed") {
    const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(": ");
    findings.push({ severity: "warning", reason: "PodFailed", message: sentence(`Pod failed${why ? `: ${why}` : ""}`) });
  }
  return recheckAfterMs === undefined ? { findings } : { findings, recheckAfterMs };
}

/** Deployment rules: replicas short of the desired count, rollouts past their progress deadline. */
export function evaluateDeployment(object: unknown, _now: number): HealthEvaluation {
  const parsed = deploymentSchema.safeParse(object);
  if (!parsed.success) return { findings: [] };
  const deployment = parsed.data;
  const findings: ObjectFinding[] = [];
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status;
  const available = status?.availableReplicas ?? 0;
  const unavailable = Math.max(desired - available, status?.unavailableReplicas ?? 0);
  const conditions = status?.conditions ?? [];
  const availableCondition = conditions.find((c) => c.type === "Available");
  const progressing = conditions.find((c) => c.type === "Progressing");
  if (progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded") {
    findings.push({
      severity: "critical",
      reason: "ProgressDeadlineExceeded",
      message: sentence(`Rollout stalled: ${progressing.message ?? "the progress deadline was exceeded"}`),
      since: progressing.lastTransitionTime,
    });
  }
  if (desired > 0 && unavailable > 0) {
    const generation = deployment.metadata.generation;
    const rollingOut =
      (generation !== null && generation !== undefined && (status?.observedGeneration ?? 0) < generation) ||
      (progressing?.status === "True" && progressing.reason === "ReplicaSetUpdated") ||
      (status?.updatedReplicas ?? desired) < desired;
    const severity: Severity = available === 0 ? "critical" : rollingOut ? "info" : "warning";
    const since = availableCondition?.status === "False" ? availableCondition.lastTransitionTime : undefined;
    findings.push({
      severity,
      reason: "ReplicasUnavailable",
      message: sentence(`${available} of ${desired} replicas available (${unavailable} unavailable)${rollingOut && available > 0 ? " while a rollout is in progress" : ""}`),
      since,
    });
  }
  return { findings };
}

const PRESSURE = new Set(["MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"]);

/** Node rules: not Ready (or status unknown), resource pressure, cordoned. */
export function evaluateNode(object: unknown, _now: number): HealthEvaluation {
  const parsed = nodeSchema.safeParse(object);
  if (!parsed.success) return { findings: [] };
  const node = parsed.data;
  const findings: ObjectFinding[] = [];
  for (const c of node.status?.conditions ?? []) {
    const detail = c.message ? `: ${c.message}` : c.reason ? `: ${c.reason}` : "";
    if (c.type === "Ready" && c.status === "False") {
      findings.push({ severity: "critical", reason: "NodeNotReady", message: sentence(`Node is not Ready${detail}`), since: c.lastTransitionTime });
    } else if (c.type === "Ready" && c.status === "Unknown") {
      findings.push({
        severity: "critical",
        reason: "NodeStatusUnknown",
        message: sentence(`Node stopped reporting its status${detail}`),
        since: c.lastTransitionTime,
      });
    } else if (PRESSURE.has(c.type) && c.status === "True") {
      findings.push({ severity: "warning", reason: c.type, message: sentence(`Node reports ${c.type}${detail}`), since: c.lastTransitionTime });
    }
  }
  if (node.spec?.unschedulable) findings.push({ severity: "info", reason: "NodeCordoned", message: "Node is cordoned (unschedulable)." });
  return { findings };
}

/**
 * The findings for an object of a watched kind ("pods", "deployments", "nodes"; other
 * kinds have no rules and yield none).
 */
export function evaluateObjectHealth(
  kind: string,
  object: unknown,
  now: number,
  thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): HealthEvaluation {
  switch (kind) {
    case "pods":
      return evaluatePod(object, now, thresholds);
    case "deployments":
      return evaluateDeployment(object, now);
    case "nodes":
      return evaluateNode(object, now);
    default:
      return { findings: [] };
  }
}
