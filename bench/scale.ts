/**
 * `npm run bench:scale` (issue 18): every figure of "past one machine" in one run.
 *   1. query_via_prometheus_ms: the controller page built from a Prometheus holding 7 days
 *      against querying that Prometheus directly (bench/scale-prometheus.ts; within 1.5×);
 *   2. storage: remote-write vs COPY into the same table and the 100-million-sample table
 *      (bench/scale-storage.ts; its keys are null when that file is not in this tree);
 *   3. scrape: 2,000 loopback targets × 500 series at 15 s on one replica, then split across
 *      two replicas with scrape sharding (bench/scale-scrape.ts).
 * Each part's own environment variables apply (BENCH_PROM_*, BENCH_SCALE_*);
 * BENCH_SCALE_PARTS=prometheus,storage,scrape picks parts. The last line of output is one
 * JSON object with every figure.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { run as runPrometheus, type ScalePrometheusFigures } from "./scale-prometheus";
import { run as runScrape, type ScaleScrapeFigures } from "./scale-scrape";
import { printWhenMain } from "./support/main-module";

const PARTS = ["prometheus", "storage", "scrape"] as const;
type Part = (typeof PARTS)[number];

const partsSchema = z
  .string()
  .default(PARTS.join(","))
  .transform((text) => text.split(",").map((p) => p.trim()).filter((p) => p !== ""))
  .pipe(z.array(z.enum(PARTS)).min(1));

/** The storage part's figures, as far as this bench knows them (the part's own keys are passed through). */
export type StorageFigures = Record<string, unknown>;

/** The storage figures the issue names: null when the storage part did not run (when it ran, its own keys stand). */
export const STORAGE_KEYS = [
  "remote_write_samples_per_s",
  "copy_samples_per_s",
  "remote_write_vs_copy_ratio",
  "large_table_samples",
  "large_table_ingest_ratio",
  "large_table_week_query_p50_ms",
  "large_table_retention_day_ms",
] as const;

type StorageModule = { run: (options?: { log?: (line: string) => void }) => Promise<StorageFigures> };

const isStorageModule = (value: unknown): value is StorageModule => typeof (value as { run?: unknown } | null)?.run === "function";

/** Runs bench/scale-storage.ts when it is in this tree; undefined when it is not. */
async function runStorage(say: (line: string) => void): Promise<StorageFigures | undefined> {
  const file = path.resolve(import.meta.dirname, "scale-storage.ts");
  if (!fs.existsSync(file)) {
    say("storage part: bench/scale-storage.ts not present");
    return undefined;
  }
  const loaded: unknown = await import(pathToFileURL(file).href);
  if (!isStorageModule(loaded)) throw new Error("bench/scale-storage.ts exports no run()");
  return loaded.run({ log: say });
}

export type ScaleFigures = Partial<ScalePrometheusFigures> & StorageFigures & Partial<ScaleScrapeFigures> & { parts: Part[]; storage_present: boolean };

export async function run(say: (line: string) => void = (line) => console.log(line)): Promise<ScaleFigures> {
  const parsed = partsSchema.safeParse(process.env.BENCH_SCALE_PARTS);
  if (!parsed.success) throw new Error(`BENCH_SCALE_PARTS must be a comma-separated list of ${PARTS.join(", ")} (got ${JSON.stringify(process.env.BENCH_SCALE_PARTS)})`);
  const parts = parsed.data;
  const figures: ScaleFigures = { parts, storage_present: false };
  if (parts.includes("prometheus")) {
    say("═══ query via a Prometheus data source ═══");
    Object.assign(figures, await runPrometheus({ log: say }));
  }
  if (parts.includes("storage")) {
    say("\n═══ storage: remote write, COPY, a 100-million-sample table ═══");
    const storage = await runStorage(say);
    if (storage) Object.assign(figures, storage, { storage_present: true });
  }
  if (!figures.storage_present) for (const key of STORAGE_KEYS) figures[key] = null;
  if (parts.includes("scrape")) {
    say("\n═══ scraping: one replica, then two with scrape sharding ═══");
    Object.assign(figures, await runScrape({ log: say }));
  }
  return figures;
}

printWhenMain(import.meta.url, () => run());
