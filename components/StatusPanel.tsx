export interface AppStatus {
  databaseKind: string;
  databaseState: string;
  databaseVersion: string | null;
  ready: boolean;
  reason: string | null;
  sourceKind: string;
  uptimeSeconds: number;
  nodeVersion: string;
  /** Leader election (server/system/status.ts LeadershipStatus). */
  leadership?: { mode: "disabled" | "leader" | "follower"; identity?: string; holder?: string };
}

function formatUptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

/** The app's own status: database kind/version, readiness and uptime. */
export function StatusPanel({ status }: { status: AppStatus }) {
  return (
    <section className="panel" aria-label="Loopscope status" data-testid="status-panel">
      <h2>Loopscope status</h2>
      <dl className="kv">
        <dt>Readiness</dt>
        <dd className={status.ready ? "status-ok" : "status-failing"} data-testid="readiness">
          {status.ready ? "ready" : `not ready: ${status.reason ?? status.databaseState}`}
        </dd>
        <dt>Database</dt>
        <dd data-testid="database">
          {status.databaseKind === "embedded" ? "embedded PostgreSQL" : status.databaseKind === "external" ? "PostgreSQL (DATABASE_URL)" : "unknown"}
          {status.databaseVersion ? ` ${status.databaseVersion}` : ""}
        </dd>
        <dt>Source</dt>
        <dd>{status.sourceKind === "demo" ? "demo cluster (simulated)" : status.sourceKind}</dd>
        <dt>Leader election</dt>
        <dd data-testid="leadership">
          {status.leadership?.mode === "leader"
            ? `leader (${status.leadership.identity})`
            : status.leadership?.mode === "follower"
              ? `follower (${status.leadership.identity}); leader: ${status.leadership.holder || "none"}`
              : "off (single instance)"}
        </dd>
        <dt>Uptime</dt>
        <dd data-testid="uptime">{formatUptime(status.uptimeSeconds)}</dd>
        <dt>Node.js</dt>
        <dd>{status.nodeVersion}</dd>
      </dl>
    </section>
  );
}
