import pg from "pg";
import type { SourceRejections } from "../ingest/rejection-book";
import { pendingMigrations } from "../store/migrate";

/**
 * The process's own state: where its database is and whether it is usable. Readiness
 * means the database answers and every migration on disk has been applied.
 */
export type DatabaseState = "starting" | "connecting" | "migrating" | "ready" | "unreachable" | "failed";

export interface SystemState {
  startedAt: number;
  databaseKind: "embedded" | "external" | "unknown";
  databaseUrl?: string;
  databaseState: DatabaseState;
  databaseError?: string;
  /** Why the database is known to be down now (the embedded server being restarted). */
  databaseOutage?: () => string | undefined;
  sourceKind?: "demo" | "kubernetes" | "none";
  /** Whether the background services (recorder, runtime, alerting …) have started; unset until the wiring is done. */
  servicesStarted?: boolean;
  /** Leader election as of now (set by the wiring). */
  leadership?: () => LeadershipStatus;
  /** Scrape sharding as of now (set by the wiring when LOOPSCOPE_SCRAPE_SHARDING=on). */
  scrapeShards?: () => ScrapeShardsStatus;
}

/** This replica's scrape shard: whether it holds its member lease, and the live members it sees. */
export interface ScrapeShardsStatus {
  identity: string;
  group: string;
  member: boolean;
  members: string[];
  /** Ids of the targets this replica scrapes now. */
  targets: number[];
}

/**
 * Whether this replica runs the leader-only services (controller loop, scrapes, anomaly
 * detection, alerting). `disabled`: no election, this process runs them all. A
 * follower is still ready: it serves the dashboard and records its own metrics.
 */
export interface LeadershipStatus {
  mode: "disabled" | "leader" | "follower";
  /** Why election is off (disabled only). */
  reason?: string;
  identity?: string;
  /** "namespace/name" of the Lease. */
  lease?: string;
  /** The current holder as last observed ("" when released). */
  holder?: string;
  leaseTransitions?: number;
  leaderSince?: number | null;
  renewedAt?: number | null;
}

/** The leadership of this process; before the wiring has run, election is not decided yet (reported as disabled). */
export function leadershipStatus(state: SystemState | undefined): LeadershipStatus {
  return state?.leadership?.() ?? { mode: "disabled", reason: "services not started" };
}


export interface Readiness {
  ready: boolean;
  reason?: string;
  databaseVersion?: string;
}

export async function checkReadiness(state: SystemState | undefined): Promise<Readiness> {
  if (!state?.databaseUrl) {
    return { ready: false, reason: `database ${state?.databaseState ?? "starting"}${state?.databaseError ? `: ${state.databaseError}` : ""}` };
  }
  const outage = state.databaseOutage?.();
  if (outage) return { ready: false, reason: `database unavailable: ${outage}` };
  const client = new pg.Client({ connectionString: state.databaseUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    const pending = await pendingMigrations(client);
    if (pending.length > 0) return { ready: false, reason: `migrations not applied: ${pending.join(", ")}`, databaseVersion: rows[0]?.version };
    if (state.databaseState !== "ready") return { ready: false, reason: `database ${state.databaseState}`, databaseVersion: rows[0]?.version };
    if (!state.servicesStarted) return { ready: false, reason: "services starting", databaseVersion: rows[0]?.version };
    return { ready: true, databaseVersion: rows[0]?.version };
  } catch (error) {
    return { ready: false, reason: `database unreachable: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What readiness needs from the recorder (server/recorder/recorder.ts). */
export interface RecordingHealth {
  status(): { rejected: number; buffered: number; lastError: string | null };
  allRejected(): SourceRejections[];
  readonly writesFailing: boolean;
}

export interface RecordingSummary {
  /** Samples refused or rejected (never retried), all sources. */
  rejectedSamples: number;
  buffered: number;
  /** Per source ("self", "target:<id>"): how many were refused and the last reason. */
  rejectedBySource: { source: string; total: number; last: string }[];
}

/** Recording is ready unless its writes keep failing; refused samples are reported, not a failure. */
export function recordingReadiness(recorder: RecordingHealth | undefined): { ready: boolean; reason?: string; summary?: RecordingSummary } {
  if (!recorder) return { ready: true };
  const status = recorder.status();
  const summary: RecordingSummary = {
    rejectedSamples: status.rejected,
    buffered: status.buffered,
    rejectedBySource: recorder
      .allRejected()
      .sort((a, b) => b.total - a.total)
      .slice(0, 20)
      .map((r) => ({ source: r.source, total: r.total, last: r.lastMessage })),
  };
  if (recorder.writesFailing) return { ready: false, reason: `recording stalled: writes keep failing (${status.lastError ?? "unknown error"})`, summary };
  return { ready: true, summary };
}
