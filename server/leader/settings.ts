import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoopscopeConfig } from "../config";
import type { DetectedCluster } from "../runtime/kubernetes/kubeconfig";
import { SERVICE_ACCOUNT_DIR } from "../runtime/kubernetes/kubeconfig";
import { type ElectionTimings, timingsProblem } from "./lease-record";

export type LeaderConfig = Pick<
  LoopscopeConfig,
  | "LOOPSCOPE_LEADER_ELECTION"
  | "LOOPSCOPE_LEASE_NAME"
  | "LOOPSCOPE_LEASE_NAMESPACE"
  | "LOOPSCOPE_REPLICA_ID"
  | "LOOPSCOPE_LEASE_DURATION"
  | "LOOPSCOPE_LEASE_RENEW_DEADLINE"
  | "LOOPSCOPE_LEASE_RETRY_PERIOD"
  | "POD_NAME"
>;

export type LeaderSettings =
  | { enabled: false; reason: string }
  | { enabled: true; cluster: DetectedCluster; name: string; namespace: string; identity: string; timings: ElectionTimings };

export class LeaderElectionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LeaderElectionConfigError";
  }
}

/** The namespace a pod runs in, from its service-account folder (undefined outside a cluster). */
function inClusterNamespace(dir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, "namespace"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** This replica's identity: LOOPSCOPE_REPLICA_ID, else POD_NAME, else hostname-pid. */
export function replicaIdentity(
  config: Pick<LeaderConfig, "LOOPSCOPE_REPLICA_ID" | "POD_NAME">,
  options: { hostname?: string; pid?: number } = {},
): string {
  return config.LOOPSCOPE_REPLICA_ID ?? config.POD_NAME ?? `${options.hostname ?? os.hostname()}-${options.pid ?? process.pid}`;
}

/** The lease timings of the configuration, checked as client-go checks them. */
export function leaseTimings(config: Pick<LeaderConfig, "LOOPSCOPE_LEASE_DURATION" | "LOOPSCOPE_LEASE_RENEW_DEADLINE" | "LOOPSCOPE_LEASE_RETRY_PERIOD">): ElectionTimings {
  const timings: ElectionTimings = {
    leaseDurationMs: config.LOOPSCOPE_LEASE_DURATION,
    renewDeadlineMs: config.LOOPSCOPE_LEASE_RENEW_DEADLINE,
    retryPeriodMs: config.LOOPSCOPE_LEASE_RETRY_PERIOD,
  };
  const problem = timingsProblem(timings);
  if (problem) throw new LeaderElectionConfigError(`Invalid lease timings (LOOPSCOPE_LEASE_DURATION, LOOPSCOPE_LEASE_RENEW_DEADLINE, LOOPSCOPE_LEASE_RETRY_PERIOD): ${problem}.`);
  return timings;
}

/**
 * Decides whether this process takes part in leader election, and with which lease
 * and identity. `auto` means on when running in a cluster (in-cluster credentials),
 * off otherwise (the demo, a laptop with a kubeconfig). `on` needs cluster credentials.
 */
export function leaderSettings(
  config: LeaderConfig,
  cluster: DetectedCluster | undefined,
  options: { serviceAccountDir?: string; hostname?: string; pid?: number } = {},
): LeaderSettings {
  const mode = config.LOOPSCOPE_LEADER_ELECTION;
  if (mode === "off") return { enabled: false, reason: "LOOPSCOPE_LEADER_ELECTION=off" };
  if (!cluster) {
    if (mode === "on") {
      throw new LeaderElectionConfigError(
        "LOOPSCOPE_LEADER_ELECTION=on needs a cluster to hold the lease: set KUBECONFIG or run in a pod with a service account (and a source other than demo).",
      );
    }
    return { enabled: false, reason: "no cluster (demo or local run)" };
  }
  if (mode === "auto" && cluster.origin !== "in-cluster") return { enabled: false, reason: "not running in a cluster (LOOPSCOPE_LEADER_ELECTION=auto)" };
  const timings: ElectionTimings = {
    leaseDurationMs: config.LOOPSCOPE_LEASE_DURATION,
    renewDeadlineMs: config.LOOPSCOPE_LEASE_RENEW_DEADLINE,
    retryPeriodMs: config.LOOPSCOPE_LEASE_RETRY_PERIOD,
  };
  const problem = timingsProblem(timings);
  if (problem) throw new LeaderElectionConfigError(`Invalid leader-election timings (LOOPSCOPE_LEASE_DURATION, LOOPSCOPE_LEASE_RENEW_DEADLINE, LOOPSCOPE_LEASE_RETRY_PERIOD): ${problem}.`);
  const namespace = config.LOOPSCOPE_LEASE_NAMESPACE ?? inClusterNamespace(options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR) ?? "default";
  return { enabled: true, cluster, name: config.LOOPSCOPE_LEASE_NAME, namespace, identity: replicaIdentity(config, options), timings };
}
