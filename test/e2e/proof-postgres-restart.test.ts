import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { log } from "../../server/log";
import { EmbeddedPostgres } from "../../server/store/embedded-postgres";
import { type AppProcess, freePort, startApp } from "../support/app-process";
import { type CountingExporter, eventually, failedScrapes, metricValue, startCountingExporter, waitForServices } from "../support/proof";

/**
 * Proof (issue 8): the PostgreSQL server Loopscope uses (an external DATABASE_URL) is
 * stopped while Loopscope runs, then started again. Meanwhile readiness reports the
 * outage with its reason, samples wait in the recorder's buffer, and afterwards the
 * buffer drains: every sample scraped during the outage is stored, exactly once.
 */

describe("proof: PostgreSQL stopped and started again under a running Loopscope", () => {
  let dataDir: string;
  let postgres: EmbeddedPostgres;
  let port: number;
  let exporter: CountingExporter;
  let app: AppProcess | undefined;

  const server = () => new EmbeddedPostgres({ dataDir, port, log: log.child({ component: "proof-postgres" }, { level: "warn" }), database: "loopscope" });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-proof-pg-"));
    fs.chmodSync(dataDir, 0o755);
    port = await freePort();
    postgres = server();
    exporter = await startCountingExporter();
    await postgres.start();
  });

  afterAll(async () => {
    if (app?.child.exitCode === null) await app.stop("SIGTERM");
    await postgres?.stop();
    await exporter?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("reports 503 with the reason during the outage, then resumes and drains the buffer without loss or duplicates", async () => {
    const targetsFile = path.join(dataDir, "targets.json");
    fs.writeFileSync(targetsFile, JSON.stringify([{ name: "proof-exporter", url: exporter.url, interval: "1s", timeout: "1s" }]));
    app = await startApp({
      DATABASE_URL: postgres.url,
      LOOPSCOPE_DATA_DIR: path.join(dataDir, "app"),
      LOOPSCOPE_SOURCE: "none",
      LOOPSCOPE_SCRAPE_INTERVAL: "500ms",
      LOOPSCOPE_TARGETS_FILE: targetsFile,
      LOOPSCOPE_LOG_LEVEL: "error",
    });
    const url = app.url;
    await waitForServices(url);
    await eventually("exporter samples are stored", async () => (await storedSamples(postgres.url, exporter.metric)).size >= 2);

    // Outage.
    await postgres.stop();
    const outageStart = Date.now();
    const servedBefore = exporter.served.length;
    const notReady = await eventually("readyz reports the outage", async () => {
      const response = await fetch(`${url}/api/readyz`);
      return response.status === 503 ? ((await response.json()) as { status: string; reason?: string }) : undefined;
    });
    expect(notReady.status).toBe("not ready");
    expect(notReady.reason).toMatch(/database unreachable: .*(ECONNREFUSED|connect|terminat)/i);
    // Scrapes go on; their samples wait in the buffer while writes fail.
    await eventually("samples are buffered and a write has failed", async () => {
      const [buffered, errors] = await Promise.all([metricValue(url, "loopscope_recorder_buffered_samples"), metricValue(url, "loopscope_recorder_write_errors_total")]);
      return buffered > 0 && errors > 0 && exporter.served.length >= servedBefore + 4;
    });
    expect((await fetch(`${url}/api/healthz`)).status).toBe(200);
    const droppedDuring = await metricValue(url, "loopscope_recorder_dropped_samples_total");
    const outageServed = exporter.served.length - servedBefore;

    // Recovery.
    postgres = server();
    await postgres.start();
    const outageEnd = Date.now();
    await eventually("readyz is ready again", async () => (await fetch(`${url}/api/readyz`)).status === 200, 60_000);
    await eventually("the buffer drained", async () => (await metricValue(url, "loopscope_recorder_buffered_samples")) === 0, 60_000);
    const servedAfterRecovery = exporter.served.length;
    await eventually("samples scraped after the recovery are stored", async () => {
      const stored = await storedSamples(postgres.url, exporter.metric);
      return exporter.served.slice(servedAfterRecovery).some((s) => stored.has(s.ts));
    });

    // Every scrape served during the outage (and around it) is stored once, with its value.
    const stored = await storedSamples(postgres.url, exporter.metric);
    const during = exporter.served.filter((s) => s.ts >= outageStart && s.ts <= outageEnd);
    expect(during.length).toBeGreaterThanOrEqual(Math.min(outageServed, 4));
    expect(droppedDuring === 0 || Number.isNaN(droppedDuring)).toBe(true);
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      // (A scrape that timed out after the exporter answered never reached the recorder: its `up` is 0.)
      const missing = exporter.served.slice(0, servedAfterRecovery).filter((s) => stored.get(s.ts) !== s.value);
      expect(missing.length, `served samples not stored: ${JSON.stringify(missing)}`).toBeLessThanOrEqual(await failedScrapes(client));
      const duplicates = await client.query("SELECT series_id, ts FROM samples GROUP BY series_id, ts HAVING count(*) > 1");
      expect(duplicates.rowCount).toBe(0);
      const counted = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM samples s JOIN series r ON r.id = s.series_id WHERE r.metric = $1 AND s.ts BETWEEN $2 AND $3",
        [exporter.metric, new Date(outageStart), new Date(outageEnd)],
      );
      expect(Number(counted.rows[0].n)).toBe(during.filter((s) => stored.get(s.ts) === s.value).length);
      expect(Number(counted.rows[0].n)).toBeGreaterThanOrEqual(during.length - (await failedScrapes(client)));
    } finally {
      await client.end();
    }
  });
});

/** The stored samples of `metric`: ts (epoch ms) → value; empty while the database is unreachable. */
async function storedSamples(url: string, metric: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ ts: Date; value: number }>("SELECT s.ts, s.value FROM samples s JOIN series r ON r.id = s.series_id WHERE r.metric = $1", [metric]);
    return new Map(rows.map((r) => [r.ts.getTime(), r.value]));
  } catch {
    return new Map();
  } finally {
    await client.end().catch(() => undefined);
  }
}
