import type { AppProcess } from "./app-process";

/** Short lease timings that keep election tests quick: 6 s / 4 s / 1 s (two busy processes on a small machine). */
export const LEASE_MS = 6_000;
export const leaseTimingEnv = { LOOPSCOPE_LEASE_DURATION: "6s", LOOPSCOPE_LEASE_RENEW_DEADLINE: "4s", LOOPSCOPE_LEASE_RETRY_PERIOD: "1s" };

/** Polls `check` every 100 ms until it gives a truthy value (errors count as not yet). */
export async function poll<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A replica's `leader_election_master_status` (1 leader, 0 follower). */
export async function masterStatus(app: AppProcess): Promise<number | undefined> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const match = /^leader_election_master_status\{name="loopscope"\} (\d)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

export interface SystemStatus {
  ready: boolean;
  leadership?: { mode: string; identity?: string; holder?: string };
}

export async function systemStatus(app: AppProcess): Promise<SystemStatus> {
  const body = (await (await fetch(`${app.url}/api/trpc/system.status`)).json()) as { result: { data: Record<string, unknown> } };
  const data = body.result.data;
  return ("json" in data ? data.json : data) as SystemStatus;
}

/** The environment of one Loopscope replica taking part in a Lease election. */
export function replicaEnv(options: { databaseUrl: string; kubeconfig: string; dir: string; id: string }): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    KUBECONFIG: options.kubeconfig,
    LOOPSCOPE_SOURCE: "kubernetes",
    LOOPSCOPE_LEADER_ELECTION: "on",
    LOOPSCOPE_REPLICA_ID: options.id,
    LOOPSCOPE_DATA_DIR: `${options.dir}/${options.id}`,
    LOOPSCOPE_SECRET_KEY: "ef".repeat(32),
    LOOPSCOPE_SCRAPE_INTERVAL: "1s",
    LOOPSCOPE_LOG_LEVEL: "info",
    ...leaseTimingEnv,
  };
}
