import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "../support/app-process";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { type CountingExporter, eventually, failedScrapes, metricValues, type Receiver, startCountingExporter, startReceiver, trpc, waitForServices } from "../support/proof";

/**
 * Proof (issue 8): Loopscope is killed with SIGKILL while it records samples and while
 * notifications wait in the outbox (the receiver is failing), then started again on
 * the same database. Nothing flushed is lost, every notification reaches the receiver
 * at least once, and the alert states neither duplicate nor fire twice.
 */

const RULES = ["ProofCrashA", "ProofCrashB", "ProofCrashC"];

interface NotificationRow {
  id: number;
  group_key: string;
  status: string;
  state: string;
  attempts: number;
  last_error?: string | null;
}

describe("proof: kill -9 while recording and while notifications are pending", () => {
  let db: TestDatabase;
  let client: pg.Client;
  let receiver: Receiver;
  let exporter: CountingExporter;
  let dataDir: string;
  let env: Record<string, string>;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    [db, receiver, exporter] = await Promise.all([createTestDatabase(), startReceiver("fail"), startCountingExporter()]);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-proof-crash-"));
    const targetsFile = path.join(dataDir, "targets.json");
    fs.writeFileSync(targetsFile, JSON.stringify([{ name: "proof-exporter", url: exporter.url, interval: "1s", timeout: "1s" }]));
    env = {
      DATABASE_URL: db.url,
      LOOPSCOPE_DATA_DIR: dataDir,
      LOOPSCOPE_SECRET_KEY: randomBytes(32).toString("hex"),
      LOOPSCOPE_SOURCE: "none",
      LOOPSCOPE_SCRAPE_INTERVAL: "500ms",
      LOOPSCOPE_TARGETS_FILE: targetsFile,
      LOOPSCOPE_LOG_LEVEL: "warn",
    };
  });

  afterAll(async () => {
    if (app?.child.exitCode === null) await app.stop("SIGTERM");
    await client?.end();
    await Promise.all([receiver?.close(), exporter?.close()]);
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("loses no flushed sample, delivers every notification at least once, and keeps one state per alert", async () => {
    app = await startApp(env);
    const first = app;
    await waitForServices(first.url);
    await trpc(first.url, "mutation", "alerts.channels.create", {
      name: "proof-crash",
      kind: "webhook",
      url: receiver.url,
      matchers: [{ name: "proof", op: "=", value: "crash" }],
      groupBy: ["alertname"],
      groupWait: "0s",
      groupInterval: "1s",
      repeatInterval: "1h",
    });
    for (const name of RULES) {
      await trpc(first.url, "mutation", "alerts.rules.create", {
        name,
        kind: "threshold",
        spec: { query: { metric: exporter.metric }, comparator: ">", value: 0 },
        interval: "1s",
        labels: { proof: "crash" },
      });
    }

    // Every rule fired and its notification is in the outbox, pending: the receiver said 503.
    const pending = await eventually(
      "a pending, already attempted notification for every rule",
      async () => {
        const { rows } = await client.query<NotificationRow>("SELECT id, group_key, status, state, attempts, last_error FROM notifications ORDER BY id");
        const ready = RULES.every((rule) => rows.some((r) => r.group_key.includes(rule) && r.state === "pending" && r.attempts >= 1 && r.last_error !== null));
        return ready ? rows : undefined;
      },
      60_000,
    );
    expect(pending.every((r) => r.state === "pending")).toBe(true);
    expect(receiver.posts.length).toBeGreaterThan(0);
    expect(receiver.posts.every((p) => p.status === 503)).toBe(true);
    const firedBefore = await firingStates(client);
    expect([...firedBefore.keys()].sort()).toEqual(RULES);

    // A moment when the recorder had written everything it had accepted (its buffer read 0 on
    // /metrics, right after a flush), then SIGKILL at once: no shutdown, no final flush.
    await eventually("a few exporter samples older than 3 s", () => exporter.served.filter((s) => s.ts <= Date.now() - 3_000).length >= 3);
    const flushed = await eventually("a /metrics reading with an empty recorder buffer", async () => {
      const readAt = Date.now();
      const values = await metricValues(first.url, [
        "loopscope_recorder_buffered_samples",
        "loopscope_recorder_written_samples_total",
        "loopscope_recorder_last_flush_timestamp_seconds",
      ]);
      const empty = values.loopscope_recorder_buffered_samples === 0 && values.loopscope_recorder_written_samples_total > 0;
      // Kill between attempts (no row claimed, none due in the next moment): a row claimed by the
      // dead process would wait out its 25 s lease (that case is covered by the delivery tests).
      const { rows } = await client.query<{ due_in: number }>(
        "SELECT EXTRACT(EPOCH FROM (next_attempt_at - now())) * 1000 AS due_in FROM notifications WHERE state = 'pending'",
      );
      const between = rows.length >= RULES.length && rows.every((r) => Number(r.due_in) > 700 && Number(r.due_in) < 15_000);
      return empty && between ? { readAt, written: values.loopscope_recorder_written_samples_total, lastFlushMs: values.loopscope_recorder_last_flush_timestamp_seconds * 1_000 } : undefined;
    });
    first.child.kill("SIGKILL");
    const { code } = await first.stop();
    expect(code).toBeNull();
    const servedAtKill = exporter.served.length;
    expect(flushed.lastFlushMs).toBeLessThanOrEqual(Date.now());

    // Every sample written before that moment is stored: at least as many as the recorder
    // reported written, and every exporter sample served before it, less the scrape timeout
    // and a margin for event-loop lag (a scrape that timed out never reached the recorder,
    // and is counted by its up = 0).
    const stored = await exporterSamples(client, exporter.metric);
    expect(Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM samples")).rows[0].n)).toBeGreaterThanOrEqual(flushed.written);
    const mustHave = exporter.served.filter((s) => s.ts <= flushed.readAt - 3_000);
    expect(mustHave.length).toBeGreaterThan(2);
    const lostBeforeFlush = mustHave.filter((s) => stored.get(s.ts) !== s.value);
    expect(lostBeforeFlush.length, `missing: ${JSON.stringify(lostBeforeFlush)}`).toBeLessThanOrEqual(await failedScrapes(client, flushed.readAt));
    const pendingAtKill = (await client.query<NotificationRow>("SELECT id, group_key, status, state, attempts FROM notifications WHERE state = 'pending'")).rows;
    expect(pendingAtKill.length).toBeGreaterThanOrEqual(RULES.length);

    // Restart on the same database with a healthy receiver.
    receiver.mode = "ok";
    app = await startApp(env);
    const restartedAt = Date.now();
    await waitForServices(app.url);

    // Every notification pending at the kill is delivered, and the receiver got it (a 200).
    await eventually(
      "every notification pending at the kill is delivered",
      async () => {
        const { rows } = await client.query<{ state: string }>("SELECT state FROM notifications WHERE id = ANY($1::int[])", [pendingAtKill.map((r) => r.id)]);
        return rows.length === pendingAtKill.length && rows.every((r) => r.state === "delivered");
      },
      60_000,
    );
    for (const row of pendingAtKill) {
      const delivered = receiver.posts.filter((p) => p.status === 200 && (p.json as { groupKey?: string } | undefined)?.groupKey === row.group_key);
      expect(delivered.length, `deliveries of ${row.group_key}`).toBeGreaterThanOrEqual(1);
      expect((delivered[0].json as { status?: string }).status).toBe(row.status);
    }

    // Recording resumed, and what was stored before the kill is still there, once.
    await eventually("new exporter samples after the restart", async () => [...(await exporterSamples(client, exporter.metric)).keys()].some((ts) => ts > restartedAt), 30_000);
    await eventually("the rules were evaluated after the restart", async () => {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM alert_states WHERE updated_at > $1", [new Date(restartedAt)]);
      return Number(rows[0].n) >= RULES.length;
    });
    const after = await exporterSamples(client, exporter.metric);
    for (const sample of mustHave) if (stored.get(sample.ts) === sample.value) expect(after.get(sample.ts)).toBe(sample.value);
    expect(exporter.served.length).toBeGreaterThan(servedAtKill);
    const duplicates = await client.query("SELECT series_id, ts FROM samples GROUP BY series_id, ts HAVING count(*) > 1");
    expect(duplicates.rowCount).toBe(0);

    // One state per alert, still firing since before the kill; no transition twice in a row.
    const stateDuplicates = await client.query("SELECT rule_id, fingerprint FROM alert_states GROUP BY rule_id, fingerprint HAVING count(*) > 1");
    expect(stateDuplicates.rowCount).toBe(0);
    const firedAfter = await firingStates(client);
    expect(firedAfter).toEqual(firedBefore);
    const events = await client.query<{ rule_id: number; fingerprint: string; state: string }>(
      "SELECT rule_id, fingerprint, state FROM alert_events ORDER BY rule_id, fingerprint, at, id",
    );
    for (let i = 1; i < events.rows.length; i += 1) {
      const [a, b] = [events.rows[i - 1], events.rows[i]];
      if (a.rule_id === b.rule_id && a.fingerprint === b.fingerprint) expect(`${b.rule_id}/${b.fingerprint}: ${a.state} → ${b.state}`).not.toMatch(/: (\w+) → \1$/);
    }
    const firingEvents = await client.query<{ rule_id: number; n: string }>("SELECT rule_id, count(*) AS n FROM alert_events WHERE state = 'firing' GROUP BY rule_id");
    expect(firingEvents.rows.map((r) => Number(r.n))).toEqual(RULES.map(() => 1));

    // No notification was queued twice for the same alerts (the log was updated with the enqueue).
    const perGroup = await client.query<{ group_key: string; n: string }>("SELECT group_key, count(*) AS n FROM notifications WHERE status = 'firing' GROUP BY group_key");
    expect(perGroup.rows.map((r) => Number(r.n))).toEqual(RULES.map(() => 1));
  });
});

/** Firing alerts of the proof rules: rule name → fired_at (epoch ms). */
async function firingStates(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ name: string; fired_at: Date }>(
    "SELECT r.name, s.fired_at FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id WHERE s.state = 'firing' AND r.name = ANY($1::text[])",
    [RULES],
  );
  return new Map(rows.map((r) => [r.name, r.fired_at.getTime()]));
}

/** The exporter's stored samples: ts (epoch ms) → value. */
async function exporterSamples(client: pg.Client, metric: string): Promise<Map<number, number>> {
  const { rows } = await client.query<{ ts: Date; value: number }>("SELECT s.ts, s.value FROM samples s JOIN series r ON r.id = s.series_id WHERE r.metric = $1", [metric]);
  return new Map(rows.map((r) => [r.ts.getTime(), r.value]));
}
