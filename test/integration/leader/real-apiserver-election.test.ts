import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CoordinationV1Api, CoreV1Api, type V1LeaseSpec } from "@kubernetes/client-node";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgSampleSource } from "../../../server/query/pg-sample-source";
import { LOOKBACK_MS } from "../../../server/query/range-plan";
import { rangeQuerySchema, runRangeQuery } from "../../../server/query/range-query";
import { createTimeseriesPool } from "../../../server/store/timeseries-pool";
import { type AppProcess, startApp } from "../../support/app-process";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { type RealApiServer, startRealApiServer } from "../../support/kube-apiserver";
import { LEASE_MS, masterStatus, poll, replicaEnv, systemStatus } from "../../support/leader-probes";

/**
 * Two real Loopscope processes (the production build) electing a leader through a
 * coordination.k8s.io/v1 Lease stored by a real kube-apiserver and etcd: the server's
 * own validation, optimistic concurrency (resourceVersion conflicts) and MicroTime
 * fields, not the fixture's. Needs `npm run build` first (npm test builds).
 */
describe("Lease election between two Loopscope processes on a real kube-apiserver", () => {
  let api: RealApiServer;
  let leases: CoordinationV1Api;
  let db: TestDatabase;
  let dir: string;
  let pool: pg.Pool;
  const apps = new Map<string, AppProcess>();

  const leaseSpec = async (): Promise<V1LeaseSpec> => (await leases.readNamespacedLease({ name: "loopscope", namespace: "default" })).spec ?? {};
  /** A MicroTime field as epoch ms (the client hands it over as a string or a Date). */
  const millis = (time: unknown) => (time instanceof Date ? time.getTime() : Date.parse(String(time)));
  const holder = async () => String((await leaseSpec()).holderIdentity ?? "");
  /** sum by (replica) (controller_runtime_active_workers) at `t`, from what the replicas recorded: replica → value. */
  const workersByReplica = async (t: number) => {
    const query = rangeQuerySchema.parse({ metric: "controller_runtime_active_workers", fn: "raw", aggregate: { op: "sum", by: ["replica"] }, start: t, end: t });
    const { series } = await runRangeQuery(new PgSampleSource(pool), query);
    return new Map(series.filter((s) => s.points.length > 0).map((s) => [String(s.labels.replica), s.points[0][1]]));
  };

  beforeAll(async () => {
    if (!fs.existsSync(path.resolve(".next/BUILD_ID"))) throw new Error("This test runs the production build: run `npm run build` first.");
    api = await startRealApiServer();
    leases = api.kubeConfig().makeApiClient(CoordinationV1Api);
    await api.kubeConfig().makeApiClient(CoreV1Api).createNode({ body: { metadata: { name: "node-1" } } });
    db = await createTestDatabase();
    pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-real-leader", max: 2 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-real-leader-"));
    const started = await Promise.all(["replica-1", "replica-2"].map((id) => startApp(replicaEnv({ databaseUrl: db.url, kubeconfig: api.kubeconfigPath, dir, id }))));
    apps.set("replica-1", started[0]);
    apps.set("replica-2", started[1]);
  }, 30 * 60_000);

  afterAll(async () => {
    for (const app of apps.values()) if (app.child.exitCode === null) await app.stop("SIGKILL");
    await api?.close();
    await pool?.end();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("exactly one replica holds the Lease and says so; the other follows it", async () => {
    const leader = await poll("a replica holds the lease and reports it", async () => {
      const id = await holder();
      const app = apps.get(id);
      return app && (await masterStatus(app)) === 1 ? id : undefined;
    });
    const followerId = [...apps.keys()].find((id) => id !== leader) ?? "";
    const follower = apps.get(followerId) as AppProcess;
    const spec = await leaseSpec();
    expect(spec.leaseDurationSeconds).toBe(LEASE_MS / 1000);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await holder()).toBe(leader);
      expect(await masterStatus(follower)).toBe(0);
    }
    // The leader renews: the stored renewTime moves on.
    expect(millis((await leaseSpec()).renewTime)).toBeGreaterThan(millis(spec.renewTime));
    expect(await systemStatus(follower)).toMatchObject({ ready: true, leadership: { mode: "follower", identity: followerId, holder: leader } });
  }, 60_000);

  it("when the leader is killed (-9), the other takes over once the lease has run out and sums stop counting the dead one", async () => {
    const leader = await holder();
    const survivorId = [...apps.keys()].find((id) => id !== leader) ?? "";
    const survivor = apps.get(survivorId) as AppProcess;
    const before = await leaseSpec();
    // The leader's controllers have recorded their workers, labelled with its replica.
    // A generous wait: on a loaded machine the leader's first flush can take a while after it won.
    await poll("the leader's controller_runtime_active_workers is recorded", async () => (await workersByReplica(Date.now())).has(leader), 45_000);
    await (apps.get(leader) as AppProcess).stop("SIGKILL");
    const lastRenew = millis((await leaseSpec()).renewTime);
    await poll("the survivor leads", async () => (await holder()) === survivorId && (await masterStatus(survivor)) === 1, LEASE_MS + 20_000);
    const after = await leaseSpec();
    expect(after.leaseTransitions).toBe((before.leaseTransitions ?? 0) + 1);
    expect(millis(after.acquireTime) - lastRenew).toBeGreaterThanOrEqual(LEASE_MS);
    expect(await systemStatus(survivor)).toMatchObject({ leadership: { mode: "leader", identity: survivorId } });
    // The killed leader wrote no staleness marker; the survivor ended its series when it took
    // over, so a sum across replicas stops counting it now (without that: 5 minutes later).
    const counted = await poll(
      "the sum counts the survivor's controllers only",
      async () => {
        const byReplica = await workersByReplica(Date.now());
        return byReplica.has(survivorId) && !byReplica.has(leader) && byReplica;
      },
      30_000,
    );
    expect([...counted.keys()]).toEqual([survivorId]);
    // Still inside the lookback after the dead leader's last samples: only a marker can have ended them.
    expect(Date.now() - lastRenew).toBeLessThan(LOOKBACK_MS);
  }, 120_000);

  it("a leader stopped with SIGTERM exits 0 and releases the Lease", async () => {
    const leader = await holder();
    const app = apps.get(leader) as AppProcess;
    const { code } = await app.stop("SIGTERM");
    expect(code).toBe(0);
    const released = await leaseSpec();
    const electionLog = app.output().split("\n").filter((line) => /leader|lease/.test(line)).slice(-8).join("\n");
    expect(String(released.holderIdentity ?? ""), electionLog).toBe("");
    expect(released.leaseDurationSeconds).toBe(1);
  }, 30_000);
});
