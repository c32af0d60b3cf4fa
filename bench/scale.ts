/**
 * `npm run bench:scale` (issue 18): every figure of "past one machine" in one run.
 *   1. query_via_prometheus_ms: the controller page built from a Prometheus holding 7 days
 *      against querying that Prometheus directly (bench/scale-prometheus.ts; within 1.5×);
 *   2. storage: remote-write vs COPY into the same table and the 100-million-sample table
 *      (bench/scale-storage.ts);
 *   3. scrape: 2,000 loopback targets × 500 series at 15 s on one replica, then split across
 *      two replicas with scrape sharding (bench/scale-scrape.ts).
 * Each part's own environment variables apply (BENCH_PROM_*, BENCH_SCALE_*);
 * BENCH_SCALE_PARTS=prometheus,storage,scrape picks parts. The last line of output is one
 * JSON object with every figure.
 */
import { z } from "zod";
import { run as runPrometheus, type ScalePrometheusFigures } from "./scale-prometheus";
import { flatStorageFigures, run as runStorage } from "./scale-storage";
import { run as runScrape, type ScaleScrapeFigures } from "./scale-scrape";
import { printWhenMain } from "./support/main-module";

const PARTS = ["prometheus", "storage", "scrape"] as const;
type Part = (typeof PARTS)[number];

const partsSchema = z
  .string()
  .default(PARTS.join(","))
  .transform((text) => text.split(",").map((p) => p.trim()).filter((p) => p !== ""))
  .pipe(z.array(z.enum(PARTS)).min(1));

export type ScaleFigures = Partial<ScalePrometheusFigures> & Record<string, unknown> & Partial<ScaleScrapeFigures> & { parts: Part[] };

export async function run(say: (line: string) => void = (line) => console.log(line)): Promise<ScaleFigures> {
  const parsed = partsSchema.safeParse(process.env.BENCH_SCALE_PARTS);
  if (!parsed.success) throw new Error(`BENCH_SCALE_PARTS must be a comma-separated list of ${PARTS.join(", ")} (got ${JSON.stringify(process.env.BENCH_SCALE_PARTS)})`);
  const parts = parsed.data;
  const figures: ScaleFigures = { parts };
  if (parts.includes("prometheus")) {
    say("═══ query via a Prometheus data source ═══");
    Object.assign(figures, await runPrometheus({ log: say }));
  }
  if (parts.includes("storage")) {
    say("\n═══ storage: remote write, COPY, a 100-million-sample table ═══");
    Object.assign(figures, flatStorageFigures(await runStorage({ print: say })));
  }
  if (parts.includes("scrape")) {
    say("\n═══ scraping: one replica, then two with scrape sharding ═══");
    Object.assign(figures, await runScrape({ log: say }));
  }
  return figures;
}

printWhenMain(import.meta.url, () => run());
