import { Histogram, type Registry } from "prom-client";
import type { HistogramCell } from "./histogram-cell";

type Snapshot<T extends string> = Awaited<ReturnType<Histogram<T>["get"]>>;
type SeriesValue<T extends string> = Snapshot<T>["values"][number];
type Labels<T extends string> = SeriesValue<T>["labels"];

/** A labelled histogram series whose samples live in a {@link HistogramCell}. */
export interface CellSeries<T extends string> {
  /** The series' labels (without `le`). */
  labels: Labels<T | "le">;
  cell: HistogramCell;
}

export interface CellHistogramConfig<T extends string> {
  name: string;
  help: string;
  labelNames: readonly T[];
  buckets: readonly number[];
  registers: Registry[];
  /** The series to expose, read at every scrape. */
  series: () => Iterable<CellSeries<T>>;
}

/**
 * A prom-client Histogram (same name, type, buckets and exposition) whose values are
 * read from cells at scrape time instead of being recorded through `observe`. This
 * keeps label hashing and bucket lookups off the hot path: prom-client's own observe
 * costs ~0.6 µs with two labels, a cell ~10 ns. Record through the cells, never
 * through this object's `observe`.
 */
export class CellHistogram<T extends string> extends Histogram<T | "le"> {
  private readonly series: () => Iterable<CellSeries<T>>;
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(config: CellHistogramConfig<T>) {
    super({ name: config.name, help: config.help, labelNames: [...config.labelNames], buckets: [...config.buckets], registers: config.registers });
    this.series = config.series;
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  override async get(): Promise<Snapshot<T | "le">> {
    return this.snapshot();
  }

  /** What the registry prefers for the text exposition; same values as `get`. */
  async getForPromString(): Promise<Snapshot<T | "le">> {
    return this.snapshot();
  }

  private snapshot(): Snapshot<T | "le"> {
    const values: SeriesValue<T | "le">[] = [];
    const name = this.metricName;
    for (const { labels, cell } of this.series()) {
      const cumulative = cell.cumulative();
      cell.bounds.forEach((bound, i) => {
        values.push({ labels: { ...labels, le: bound }, value: cumulative[i], metricName: `${name}_bucket` });
      });
      values.push({ labels: { ...labels, le: "+Inf" }, value: cell.count, metricName: `${name}_bucket` });
      values.push({ labels, value: cell.sum, metricName: `${name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${name}_count` });
    }
    // prom-client's typings describe `type` as an enum and require `collect`; at run time
    // the registry reads exactly these fields, with the type as a string.
    const snapshot = { name, help: this.metricHelp, type: "histogram", values, aggregator: "sum" };
    return snapshot as unknown as Snapshot<T | "le">;
  }
}
