import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServerFixture, startApiServerFixture } from "../../support/apiserver";
import { type AppProcess, startApp } from "../../support/app-process";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { LEASE_MS, masterStatus, poll, replicaEnv, systemStatus } from "../../support/leader-probes";

/**
 * Two real Loopscope processes (the production build, as in a Deployment with two
 * replicas) sharing one database and one loopback API server, electing a leader
 * through a coordination.k8s.io Lease. Needs `npm run build` first (npm test builds).
 */
describe("two Loopscope replicas electing a leader (real processes, loopback API server)", () => {
  let api: ApiServerFixture;
  let db: TestDatabase;
  let dir: string;
  const apps = new Map<string, AppProcess>();

  const leaseSpec = () => api.get("leases", "default/loopscope")?.spec as Record<string, unknown> | undefined;
  const holder = () => String(leaseSpec()?.holderIdentity ?? "");

  beforeAll(async () => {
    if (!fs.existsSync(path.resolve(".next/BUILD_ID"))) throw new Error("This test runs the production build: run `npm run build` first.");
    api = await startApiServerFixture();
    api.add("nodes", { metadata: { name: "node-1" }, status: { conditions: [{ type: "Ready", status: "True" }] } });
    api.add("pods", { metadata: { name: "web-1", namespace: "default" }, status: { phase: "Running" } });
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-leader-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "fixture", cluster: { server: api.url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "fixture", user: { token: api.token } }],
        contexts: [{ name: "fixture", context: { cluster: "fixture", user: "fixture", namespace: "default" } }],
        "current-context": "fixture",
      }),
    );
    const env = (id: string) => replicaEnv({ databaseUrl: db.url, kubeconfig, dir, id });
    const started = await Promise.all(["replica-1", "replica-2"].map((id) => startApp(env(id))));
    apps.set("replica-1", started[0]);
    apps.set("replica-2", started[1]);
  }, 180_000);

  afterAll(async () => {
    for (const app of apps.values()) if (app.child.exitCode === null) await app.stop("SIGKILL");
    await api?.close();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exactly one replica leads and alone runs the controller loop; both are ready and record their own metrics", async () => {
    const leader = await poll("a replica holds the lease and reports it", async () => {
      const id = holder();
      const app = apps.get(id);
      return app && (await masterStatus(app)) === 1 ? id : undefined;
    });
    const followerId = [...apps.keys()].find((id) => id !== leader) ?? "";
    const follower = apps.get(followerId) as AppProcess;
    await poll("the leader's informers are watching", async () => api.openWatches("pods") === 1 && api.openWatches("nodes") === 1);
    // Over several retry periods nothing changes: one leader, one set of watches.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await masterStatus(apps.get(leader) as AppProcess)).toBe(1);
      expect(await masterStatus(follower)).toBe(0);
      // Never two sets of watches (a watch may be between reconnects: 0 for a moment).
      expect(api.openWatches("pods")).toBeLessThanOrEqual(1);
      expect(holder()).toBe(leader);
    }
    // Followers stay ready (they serve the dashboard) and say who leads.
    expect((await fetch(`${follower.url}/api/readyz`)).status).toBe(200);
    expect(await systemStatus(follower)).toMatchObject({ ready: true, leadership: { mode: "follower", identity: followerId, holder: leader } });
    expect(await systemStatus(apps.get(leader) as AppProcess)).toMatchObject({ leadership: { mode: "leader", identity: leader } });
    // A leader-only service answers on a follower that this replica is a follower (typed), instead of disappearing.
    const onFollower = await fetch(`${follower.url}/api/trpc/runtime.controllers`);
    expect(onFollower.status).toBe(412);
    const refusal = (await onFollower.json()) as { error: { message: string; data: { code: string; service?: { name: string; state: string } } } };
    expect(refusal.error.message).toBe(`This replica is a follower: the controller loop runs on the leader (${leader}). Ask the leader's dashboard.`);
    expect(refusal.error.data).toMatchObject({ code: "PRECONDITION_FAILED", service: { name: "runtime", state: "follower" } });
    expect((await fetch(`${(apps.get(leader) as AppProcess).url}/api/trpc/runtime.controllers`)).status).toBe(200);
    // What the leader-only services store stays readable on a follower (e.g. the alert rules).
    expect((await fetch(`${follower.url}/api/trpc/alerts.rules.list`)).status).toBe(200);
    // The recorder runs on both, each sample labelled with its replica.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const replicas = await poll("both replicas recorded their own leader_election_master_status", async () => {
        const { rows } = await client.query<{ replica: string }>(
          "SELECT DISTINCT labels->>'replica' AS replica FROM series WHERE source = 'self' AND metric = 'leader_election_master_status' ORDER BY 1",
        );
        return rows.length === 2 ? rows.map((r) => r.replica) : undefined;
      });
      expect(replicas).toEqual(["replica-1", "replica-2"]);
    } finally {
      await client.end();
    }
  }, 60_000);

  it("when the leader is killed (-9), the other replica takes over after the lease expires, and only then", async () => {
    const leader = holder();
    const survivorId = [...apps.keys()].find((id) => id !== leader) ?? "";
    const survivor = apps.get(survivorId) as AppProcess;
    const before = leaseSpec() ?? {};
    await (apps.get(leader) as AppProcess).stop("SIGKILL");
    const lastRenew = Date.parse(String(leaseSpec()?.renewTime));
    await poll("the survivor leads", async () => holder() === survivorId && (await masterStatus(survivor)) === 1, LEASE_MS + 15_000);
    const after = leaseSpec() ?? {};
    expect(after.leaseTransitions).toBe(Number(before.leaseTransitions) + 1);
    // Safety: it waited for the dead leader's lease to run out.
    expect(Date.parse(String(after.acquireTime)) - lastRenew).toBeGreaterThanOrEqual(LEASE_MS);
    await poll("the survivor's informers took over", async () => api.openWatches("pods") === 1 && api.openWatches("nodes") === 1);
    expect(await systemStatus(survivor)).toMatchObject({ leadership: { mode: "leader", identity: survivorId } });
  }, 60_000);

  it("a leader stopped with SIGTERM exits 0 and releases the lease", async () => {
    const leader = holder();
    const app = apps.get(leader) as AppProcess;
    const { code } = await app.stop("SIGTERM");
    expect(code).toBe(0);
    const electionLog = app.output().split("\n").filter((line) => /leader|lease/.test(line)).slice(-8).join("\n");
    expect(leaseSpec(), electionLog).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1 });
    expect(api.openWatches("pods")).toBe(0);
  }, 30_000);
});
