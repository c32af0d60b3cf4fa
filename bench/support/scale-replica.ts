/**
 * One Loopscope replica for bench/scale-scrape.ts: the real services of server/services.ts
 * (scrape manager with scrape sharding, recorder, Postgres store, the rest of the set),
 * configured from the environment like `npm start`, without the Next.js front end (the
 * bench measures scraping, not pages). A child process talking over IPC:
 *
 *   IPC out: { kind: "ready", rssAtStart } then, on { kind: "report" }, a ReplicaReport
 *   SIGTERM stops the services (stale markers, lease released) and exits.
 */
import { startAuth } from "../../server/auth";
import { createServices, initialSystemState } from "../../server/composition";
import { loadConfig } from "../../server/config";
import { ServiceSet } from "../../server/lifecycle/service-set";
import { log } from "../../server/log";
import { metricsRegistry } from "../../server/metrics/registry";
import { wireServices } from "../../server/services";
import { disconnectAll } from "../../server/store/prisma";

export interface ReplicaReport {
  kind: "report";
  identity: string;
  /** process.cpuUsage(), µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  writtenSamples: number;
  droppedSamples: number;
  bufferedSamples: number;
  /** The recorder's batch writes so far: their count and seconds spent in them. */
  flushes: number;
  flushSeconds: number;
  member: boolean;
  members: string[];
  /** The targets this replica scrapes. */
  targets: number[];
}

export type ReplicaMessage = { kind: "ready"; rssAtStartBytes: number } | ReplicaReport;

/** A metric's value summed over its label sets; of a histogram, its `_sum` or `_count` (`part`). */
async function metricValue(name: string, part?: "_sum" | "_count"): Promise<number> {
  const metric = metricsRegistry().getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => part === undefined || (v as { metricName?: string }).metricName === `${name}${part}`).reduce((sum, v) => sum + v.value, 0);
}

async function main(): Promise<void> {
  const rssAtStartBytes = process.memoryUsage().rss;
  const config = loadConfig();
  const databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) throw new Error("scale-replica needs DATABASE_URL (the bench's database)");
  const system = initialSystemState("external");
  const services = createServices({ system, auth: startAuth(config) });
  metricsRegistry();
  const set = new ServiceSet(log);
  await set.start(await wireServices({ config, databaseUrl, log }, services));
  system.servicesStarted = true;
  const identity = config.LOOPSCOPE_REPLICA_ID ?? "replica";
  process.on("message", (message: { kind?: string }) => {
    if (message.kind !== "report") return;
    void (async () => {
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const shards = system.scrapeShards?.();
      const report: ReplicaReport = {
        kind: "report",
        identity,
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        writtenSamples: await metricValue("loopscope_recorder_written_samples_total"),
        droppedSamples: await metricValue("loopscope_recorder_dropped_samples_total"),
        bufferedSamples: await metricValue("loopscope_recorder_buffered_samples"),
        flushes: await metricValue("loopscope_recorder_flush_duration_seconds", "_count"),
        flushSeconds: await metricValue("loopscope_recorder_flush_duration_seconds", "_sum"),
        member: shards?.member ?? true,
        members: shards?.members ?? [identity],
        targets: shards?.targets ?? services.targets.find()?.scrapedIds() ?? [],
      };
      process.send?.(report satisfies ReplicaMessage);
    })();
  });
  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    void set
      .stop()
      .then(() => disconnectAll())
      .finally(() => process.exit(0));
  });
  process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
  process.send?.({ kind: "ready", rssAtStartBytes } satisfies ReplicaMessage);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
