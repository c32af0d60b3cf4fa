/**
 * Loads the recorded development corpus (bench/data/corpus-*s.csv.gz and
 * corpus-labels.json, written by record-corpus.ts) as labelled series: one per recorded
 * column and sampling interval, labelled with the faults whose kind names that column.
 * While a recording is still running, its `.partial.csv` snapshots are read instead.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { z } from "zod";
import type { LabelledSeries } from "./synthetic-corpus";

const labelsSchema = z.object({
  recorded: z.object({ start: z.string(), end: z.string(), intervalsSeconds: z.array(z.number()) }),
  faults: z.array(z.object({ kind: z.string(), start: z.string(), end: z.string(), series: z.array(z.string()) })),
});
export type CorpusLabels = z.infer<typeof labelsSchema>;

const MIN_POINTS = 30;

export function loadRecordedCorpus(dir = path.join("bench", "data"), base = "corpus"): { series: LabelledSeries[]; labels: CorpusLabels } {
  const labels = labelsSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, `${base}-labels.json`), "utf8")));
  const series: LabelledSeries[] = [];
  for (const seconds of labels.recorded.intervalsSeconds) {
    const gz = path.join(dir, `${base}-${seconds}s.csv.gz`);
    const partial = path.join(dir, `${base}-${seconds}s.partial.csv`);
    const text = fs.existsSync(gz) ? zlib.gunzipSync(fs.readFileSync(gz)).toString("utf8") : fs.existsSync(partial) ? fs.readFileSync(partial, "utf8") : null;
    if (text === null) continue;
    const lines = text.trim().split("\n");
    const header = lines[0].split(",");
    const ts = lines.slice(1).map((l) => Date.parse(l.slice(0, l.indexOf(","))));
    const cells = lines.slice(1).map((l) => l.split(","));
    for (let c = 1; c < header.length; c += 1) {
      const name = header[c];
      const rows = cells.map((row, i) => ({ ts: ts[i], value: row[c] === "" || row[c] === undefined ? Number.NaN : Number(row[c]) }));
      if (rows.filter((r) => Number.isFinite(r.value)).length < MIN_POINTS) continue;
      const anomalies = labels.faults.filter((f) => f.series.includes(name)).map((f) => ({ start: Date.parse(f.start), end: Date.parse(f.end) }));
      series.push({ name: `recorded/${seconds}s/${name}`, rows, anomalies });
    }
  }
  return { series, labels };
}
