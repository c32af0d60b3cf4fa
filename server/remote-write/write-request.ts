import protobuf from "protobufjs";

/**
 * Prometheus remote-write 1.0 messages (prometheus/prompb remote.proto and types.proto:
 * WriteRequest, TimeSeries, Label, Sample, MetricMetadata), defined in code for
 * protobufjs. Exemplars and native histograms (fields 3 and 4 of TimeSeries) are not
 * declared, so they are skipped on decode as unknown fields.
 */
const MESSAGES = {
  WriteRequest: {
    fields: {
      timeseries: { rule: "repeated", type: "TimeSeries", id: 1 },
      metadata: { rule: "repeated", type: "MetricMetadata", id: 3 },
    },
  },
  TimeSeries: {
    fields: {
      labels: { rule: "repeated", type: "Label", id: 1 },
      samples: { rule: "repeated", type: "Sample", id: 2 },
    },
  },
  Label: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
  Sample: { fields: { value: { type: "double", id: 1 }, timestamp: { type: "int64", id: 2 } } },
  MetricMetadata: {
    fields: {
      type: { type: "int32", id: 1 },
      metricFamilyName: { type: "string", id: 2 },
      help: { type: "string", id: 4 },
      unit: { type: "string", id: 5 },
    },
  },
};

function writeRequestType(sampleValue: "double" | "fixed64"): protobuf.Type {
  const messages = structuredClone(MESSAGES);
  messages.Sample.fields.value.type = sampleValue;
  return protobuf.Root.fromJSON({ nested: { prometheus: { nested: messages } } }).lookupType("prometheus.WriteRequest");
}

const WRITE_REQUEST = writeRequestType("double");
/**
 * The same message with each sample's value read as its raw 64 bits: JavaScript numbers
 * do not reliably keep a NaN's payload, and Prometheus's staleness marker is the NaN
 * 0x7ff0000000000002. Only requests that hold a NaN are decoded this way too.
 */
const WRITE_REQUEST_BITS = writeRequestType("fixed64");

/** MetricMetadata.MetricType of types.proto, by number. */
const METRIC_TYPES = ["unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"] as const;
export type RemoteMetricType = (typeof METRIC_TYPES)[number];

export interface RemoteSeries {
  /** Label pairs as sent (`__name__` included), in the order sent. */
  readonly labels: readonly (readonly [string, string])[];
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
  /** Indexes (into timestamps/values) of Prometheus staleness markers; absent when none. */
  readonly stale?: ReadonlySet<number>;
}

export interface RemoteMetadata {
  readonly family: string;
  readonly type: RemoteMetricType;
  readonly help: string;
}

export interface DecodedWriteRequest {
  readonly series: RemoteSeries[];
  readonly metadata: RemoteMetadata[];
  /** Samples in all series (staleness markers included). */
  readonly samples: number;
}

export class MalformedWriteRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedWriteRequestError";
  }
}

type LongLike = number | { toNumber(): number } | { low: number; high: number };

interface WireSample {
  value?: number | LongLike;
  timestamp?: LongLike;
}
interface WireSeries {
  labels?: { name?: string; value?: string }[];
  samples?: WireSample[];
}
interface WireRequest {
  timeseries?: WireSeries[];
  metadata?: { type?: number; metricFamilyName?: string; help?: string }[];
}

function toNumber(value: LongLike | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === "number") return value;
  if ("toNumber" in value) return value.toNumber();
  return value.high * 4_294_967_296 + (value.low >>> 0);
}

/** The 64 bits of Prometheus's staleness NaN (value.StaleNaN), as protobufjs reads a fixed64: high and low 32-bit words. */
const STALE_HIGH = 0x7ff00000;
const STALE_LOW = 0x00000002;

function isStaleBits(value: LongLike | number | undefined): boolean {
  if (value === undefined || typeof value === "number" || !("low" in value)) return false;
  return value.high >>> 0 === STALE_HIGH && value.low >>> 0 === STALE_LOW;
}

/** Decodes an (uncompressed) WriteRequest; MalformedWriteRequestError when the bytes are not one. */
export function decodeWriteRequest(bytes: Uint8Array): DecodedWriteRequest {
  let wire: WireRequest;
  try {
    wire = WRITE_REQUEST.decode(bytes) as unknown as WireRequest;
  } catch (error) {
    throw new MalformedWriteRequestError(`not a remote-write WriteRequest: ${error instanceof Error ? error.message : String(error)}`);
  }
  let bits: WireRequest | undefined;
  let samples = 0;
  const series: RemoteSeries[] = [];
  (wire.timeseries ?? []).forEach((ts, k) => {
    const labels = (ts.labels ?? []).map((l) => [l.name ?? "", l.value ?? ""] as const);
    const wireSamples = ts.samples ?? [];
    const timestamps = new Array<number>(wireSamples.length);
    const values = new Array<number>(wireSamples.length);
    let stale: Set<number> | undefined;
    for (let i = 0; i < wireSamples.length; i += 1) {
      const s = wireSamples[i];
      timestamps[i] = toNumber(s.timestamp);
      const value = typeof s.value === "number" ? s.value : 0;
      values[i] = value;
      if (Number.isNaN(value)) {
        bits ??= WRITE_REQUEST_BITS.decode(bytes) as unknown as WireRequest;
        if (isStaleBits(bits.timeseries?.[k]?.samples?.[i]?.value)) {
          stale ??= new Set();
          stale.add(i);
        }
      }
    }
    samples += wireSamples.length;
    series.push(stale ? { labels, timestamps, values, stale } : { labels, timestamps, values });
  });
  const metadata = (wire.metadata ?? []).flatMap((m) =>
    m.metricFamilyName ? [{ family: m.metricFamilyName, type: METRIC_TYPES[m.type ?? 0] ?? "unknown", help: m.help ?? "" }] : [],
  );
  return { series, metadata, samples };
}

/** What a client sends: series with label pairs and samples (epoch ms); `stale` marks staleness markers. */
export interface WriteRequestInput {
  series: { labels: Record<string, string>; samples: { ts: number; value: number; stale?: boolean }[] }[];
}

/**
 * Encodes a WriteRequest as Prometheus sends it (labels sorted by name), for tests and
 * benchmarks. Staleness markers are written with their exact NaN bits.
 */
export function encodeWriteRequest(input: WriteRequestInput): Uint8Array {
  const anyStale = input.series.some((s) => s.samples.some((x) => x.stale));
  const type = anyStale ? WRITE_REQUEST_BITS : WRITE_REQUEST;
  const float = new DataView(new ArrayBuffer(8));
  const message = {
    timeseries: input.series.map((s) => ({
      labels: Object.entries(s.labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => ({ name, value })),
      samples: s.samples.map((x) => {
        if (!anyStale) return { value: x.value, timestamp: x.ts };
        if (x.stale) return { value: { low: STALE_LOW, high: STALE_HIGH, unsigned: true }, timestamp: x.ts };
        float.setFloat64(0, x.value, true);
        return { value: { low: float.getUint32(0, true), high: float.getUint32(4, true), unsigned: true }, timestamp: x.ts };
      }),
    })),
  };
  return type.encode(message).finish();
}
