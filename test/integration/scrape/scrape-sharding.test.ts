import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "../../support/app-process";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { poll } from "../../support/leader-probes";

/**
 * Two real Loopscope processes (the production build) on one database, with scrape
 * sharding on: they split the targets between them, each target scraped by exactly one,
 * and when one is killed (-9) the other takes its share over once that replica's lease
 * has run out. Needs `npm run build` first (npm test builds).
 */
const TARGETS = 12;
const LEASE_MS = 4_000;
const leaseEnv = { LOOPSCOPE_LEASE_DURATION: "4s", LOOPSCOPE_LEASE_RENEW_DEADLINE: "3s", LOOPSCOPE_LEASE_RETRY_PERIOD: "1s" };

let db: TestDatabase;
let dir: string;
let exporter: http.Server;
const apps = new Map<string, AppProcess>();

interface Shards {
  identity: string;
  member: boolean;
  members: string[];
  targets: number[];
}

async function shards(app: AppProcess): Promise<Shards> {
  const body = (await (await fetch(`${app.url}/api/trpc/system.status`)).json()) as { result: { data: { scrapeShards: Shards } } };
  return body.result.data.scrapeShards;
}

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  if (!fs.existsSync(path.resolve(".next/BUILD_ID"))) throw new Error("This test runs the production build: run `npm run build` first.");
  db = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-shards-"));
  exporter = http.createServer((req, res) => {
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end(`# TYPE shard_probe gauge\nshard_probe{path="${req.url}"} 1\n`);
  });
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  const targetsFile = path.join(dir, "targets.json");
  fs.writeFileSync(targetsFile, JSON.stringify(Array.from({ length: TARGETS }, (_, i) => ({ name: `t${i}`, url: `${base}/metrics/${i}`, interval: "1s" }))));
  const env = (id: string) => ({
    DATABASE_URL: db.url,
    LOOPSCOPE_SOURCE: "none",
    LOOPSCOPE_SCRAPE_SHARDING: "on",
    LOOPSCOPE_REPLICA_ID: id,
    LOOPSCOPE_TARGETS_FILE: targetsFile,
    LOOPSCOPE_DATA_DIR: path.join(dir, id),
    LOOPSCOPE_SECRET_KEY: "ef".repeat(32),
    LOOPSCOPE_LOG_FORMAT: "json",
    LOOPSCOPE_LOG_LEVEL: "warn",
    ...leaseEnv,
  });
  // One at a time: both upsert the configured targets at start.
  apps.set("replica-1", await startApp(env("replica-1")));
  apps.set("replica-2", await startApp(env("replica-2")));
}, 180_000);

afterAll(async () => {
  for (const app of apps.values()) if (app.child.exitCode === null) await app.stop("SIGKILL");
  await new Promise((resolve) => exporter?.close(resolve));
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("scrape sharding across two replicas (real processes, one database)", () => {
  it("splits the targets between the replicas, each scraped by exactly one", async () => {
    const ids = (await query<{ id: number }>("SELECT id FROM scrape_targets ORDER BY id")).map((r) => r.id);
    expect(ids).toHaveLength(TARGETS);
    const [a, b] = await poll(
      "both replicas see both members and split every target",
      async () => {
        const views = await Promise.all([...apps.values()].map(shards));
        const ok = views.every((v) => v.member && v.members.join() === "replica-1,replica-2") && views[0].targets.length + views[1].targets.length === TARGETS;
        return ok ? views : undefined;
      },
      30_000,
    );
    expect(a.targets.length).toBeGreaterThan(0);
    expect(b.targets.length).toBeGreaterThan(0);
    expect([...a.targets, ...b.targets].sort((x, y) => x - y)).toEqual(ids);
    // Every target is being recorded (by whichever replica owns it).
    await poll("every target has samples", async () => {
      const rows = await query<{ n: number }>("SELECT count(DISTINCT target_id)::int AS n FROM series WHERE metric = 'shard_probe'");
      return rows[0].n === TARGETS;
    });
    // Over several retry periods the split holds: no target is ever owned by both.
    for (let i = 0; i < 4; i += 1) {
      await new Promise((r) => setTimeout(r, 700));
      const [x, y] = await Promise.all([...apps.values()].map(shards));
      expect(x.targets.filter((id) => y.targets.includes(id))).toEqual([]);
    }
  }, 60_000);

  it("when one replica is killed (-9), the other takes over its share after its lease runs out, and only then", async () => {
    const survivor = apps.get("replica-1") as AppProcess;
    const victim = apps.get("replica-2") as AppProcess;
    const victimTargets = (await shards(victim)).targets;
    expect(victimTargets.length).toBeGreaterThan(0);
    await victim.stop("SIGKILL");
    const [{ renewed }] = await query<{ renewed: number }>(
      "SELECT date_part('epoch', renew_time) * 1000 AS renewed FROM leases WHERE name = 'loopscope-scrape-shards/replica-2'",
    );
    // Until the dead replica's lease runs out, its share stays its own.
    const early = await shards(survivor);
    const [{ now }] = await query<{ now: number }>("SELECT date_part('epoch', now()) * 1000 AS now");
    if (now < renewed + LEASE_MS - 500) expect(early.targets.filter((id) => victimTargets.includes(id))).toEqual([]);
    const after = await poll(
      "the survivor scrapes every target",
      async () => {
        const view = await shards(survivor);
        return view.members.join() === "replica-1" && view.targets.length === TARGETS ? view : undefined;
      },
      LEASE_MS + 10_000,
    );
    expect(after.targets).toHaveLength(TARGETS);
    const [{ took }] = await query<{ took: number }>("SELECT date_part('epoch', now()) * 1000 AS took");
    expect(took - renewed).toBeGreaterThanOrEqual(LEASE_MS);
    // The moved targets are recorded again, by the survivor.
    await poll("the dead replica's targets get new samples", async () => {
      const rows = await query<{ n: number }>(
        `SELECT count(DISTINCT x.target_id)::int AS n FROM series x JOIN samples s ON s.series_id = x.id
          WHERE x.metric = 'shard_probe' AND x.target_id = ANY($1::int[]) AND s.ts > to_timestamp($2::float8 / 1000)`,
        [victimTargets, renewed + LEASE_MS],
      );
      return rows[0].n === victimTargets.length;
    });
  }, 60_000);
});
