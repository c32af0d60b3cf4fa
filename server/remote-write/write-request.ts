import protobuf from "protobufjs";

/**
 * Prometheus remote-write 1.0 messages (prometheus/prompb remote.proto and types.proto:
 * WriteRequest, TimeSeries, Label, Sample, MetricMetadata), defined in code for
 * protobufjs, which encodes them (tests, benchmarks). Decoding is the hand-written
 * reader below; exemplars and native histograms (fields 3 and 4 of TimeSeries) and any
 * other unknown field are skipped.
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
 * The same message with each sample's value written as its raw 64 bits: JavaScript
 * numbers do not reliably keep a NaN's payload, and Prometheus's staleness marker is the
 * NaN 0x7ff0000000000002.
 */
const WRITE_REQUEST_BITS = writeRequestType("fixed64");

/** MetricMetadata.MetricType of types.proto, by number. */
const METRIC_TYPES = ["unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"] as const;
export type RemoteMetricType = (typeof METRIC_TYPES)[number];

/**
 * One TimeSeries of a request. Its samples are `count` entries of the request's
 * columns from `first` on; its labels are decoded on first use (a receiver that knows
 * the series by `labelKey` never decodes them).
 */
export interface RemoteSeries {
  /**
   * The series' label fields exactly as sent (bytes as a latin1 string): equal keys are
   * equal label pairs in the same order, so a receiver can recognise a series it saw before.
   */
  readonly labelKey: string;
  /** Label pairs as sent (`__name__` included), in the order sent. */
  readonly labels: readonly (readonly [string, string])[];
  /** Index of the series' first sample in the request's `timestamps`/`values`. */
  readonly first: number;
  /** Samples of the series (staleness markers included). */
  readonly count: number;
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
  /** Every sample's timestamp (epoch ms) and value, series after series. */
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** Indexes (into timestamps/values) of Prometheus staleness markers; absent when none. */
  readonly stale?: ReadonlySet<number>;
}

export class MalformedWriteRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedWriteRequestError";
  }
}

/** The 64 bits of Prometheus's staleness NaN (value.StaleNaN), as two little-endian 32-bit words. */
const STALE_HIGH = 0x7ff00000;
const STALE_LOW = 0x00000002;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A reader of protobuf wire format over one buffer, for the few messages of
 * remote-write 1.0. Reading straight from the bytes (no message objects per label or
 * sample) keeps decoding off the ingest path's profile.
 */
class WireReader {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Buffer) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(what: string): never {
    throw new MalformedWriteRequestError(`${what} at byte ${this.pos}`);
  }

  /** A varint of up to 64 bits as a number (int64 semantics: the top bit makes it negative). */
  varint(end: number): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7; i += 1) {
      if (this.pos >= end) this.fail("truncated varint");
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    // Past 49 bits (negative int64s, huge lengths): exact low and high words.
    let lo = result % 4_294_967_296;
    let hi = Math.floor(result / 4_294_967_296);
    let shift = 49;
    for (let i = 7; i < 10; i += 1) {
      if (this.pos >= end) this.fail("truncated varint");
      const b = this.bytes[this.pos++];
      const bits = b & 0x7f;
      // Bits `shift` … `shift + 6` of the value: all in the high word (shift ≥ 49 > 32).
      hi = (hi + bits * 2 ** (shift - 32)) % 4_294_967_296;
      if (b < 0x80) {
        lo >>>= 0;
        return (hi | 0) * 4_294_967_296 + lo;
      }
      shift += 7;
    }
    return this.fail("varint longer than 10 bytes");
  }

  /** A length prefix; the end offset of the field it announces. */
  lengthEnd(end: number): number {
    const length = this.varint(end);
    const fieldEnd = this.pos + length;
    if (length < 0 || length > 2_147_483_647 || fieldEnd > end) this.fail("length past the end of its message");
    return fieldEnd;
  }

  /** Skips a field of the given wire type (unknown fields: exemplars, native histograms, newer additions). */
  skip(wireType: number, field: number, end: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint(end);
        return;
      case WIRE_FIXED64:
        this.fixed(8, end, "fixed64");
        return;
      case WIRE_BYTES:
        this.pos = this.lengthEnd(end);
        return;
      case WIRE_FIXED32:
        this.fixed(4, end, "fixed32");
        return;
      case WIRE_START_GROUP:
        for (;;) {
          const tag = this.varint(end);
          if ((tag & 7) === WIRE_END_GROUP) {
            if (tag >>> 3 !== field) this.fail("unmatched end of group");
            return;
          }
          this.skip(tag & 7, tag >>> 3, end);
        }
      default:
        this.fail(`invalid wire type ${wireType}`);
    }
  }

  /** Checks that [start, end) is valid UTF-8 (ASCII, the usual case, without decoding). */
  checkUtf8(start: number, end: number): void {
    for (let i = start; i < end; i += 1) {
      if (this.bytes[i] >= 0x80) {
        try {
          strictUtf8.decode(this.bytes.subarray(start, end));
        } catch {
          this.fail("a string that is not valid UTF-8");
        }
        return;
      }
    }
  }

  text(start: number, end: number): string {
    return end > start ? this.bytes.toString("utf8", start, end) : "";
  }

  /** Steps over a fixed-size field of `size` bytes that must end by `end`; its start offset. */
  fixed(size: number, end: number, what: string): number {
    if (this.pos + size > end) this.fail(`truncated ${what}`);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  float64(at: number): number {
    return this.view.getFloat64(at, true);
  }

  isStaleNaN(at: number): boolean {
    return this.view.getUint32(at, true) === STALE_LOW && this.view.getUint32(at + 4, true) === STALE_HIGH;
  }
}

/** A decoded TimeSeries whose label pairs are read from the request's bytes on first use. */
class WireSeries implements RemoteSeries {
  private pairs?: (readonly [string, string])[];

  constructor(
    private readonly reader: WireReader,
    private readonly labelStart: number,
    private readonly labelEnd: number,
    readonly labelKey: string,
    readonly first: number,
    readonly count: number,
  ) {}

  get labels(): readonly (readonly [string, string])[] {
    this.pairs ??= readLabels(this.reader, this.labelStart, this.labelEnd);
    return this.pairs;
  }
}

/** Parses one Label message in [pos, end); with `read`, its name and value (else only checks them). */
function readLabel(r: WireReader, end: number, read: boolean): readonly [string, string] | undefined {
  let name = "";
  let value = "";
  while (r.pos < end) {
    const tag = r.varint(end);
    const field = tag >>> 3;
    if ((field === 1 || field === 2) && (tag & 7) === WIRE_BYTES) {
      const stringEnd = r.lengthEnd(end);
      if (read) {
        if (field === 1) name = r.text(r.pos, stringEnd);
        else value = r.text(r.pos, stringEnd);
      } else {
        r.checkUtf8(r.pos, stringEnd);
      }
      r.pos = stringEnd;
    } else {
      r.skip(tag & 7, field, end);
    }
  }
  return read ? [name, value] : undefined;
}

/** The label pairs of the TimeSeries fields in [start, end) (already checked by the decode). */
function readLabels(r: WireReader, start: number, end: number): (readonly [string, string])[] {
  const saved = r.pos;
  const pairs: (readonly [string, string])[] = [];
  r.pos = start;
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_BYTES) {
      const labelEnd = r.lengthEnd(end);
      pairs.push(readLabel(r, labelEnd, true) as readonly [string, string]);
      r.pos = labelEnd;
    } else {
      r.skip(tag & 7, tag >>> 3, end);
    }
  }
  r.pos = saved;
  return pairs;
}

/** Growable columns of sample timestamps and values. */
class SampleColumns {
  timestamps = new Float64Array(1_024);
  values = new Float64Array(1_024);
  length = 0;

  push(ts: number, value: number): void {
    if (this.length === this.timestamps.length) {
      const grown = this.length * 2;
      const timestamps = new Float64Array(grown);
      timestamps.set(this.timestamps);
      const values = new Float64Array(grown);
      values.set(this.values);
      this.timestamps = timestamps;
      this.values = values;
    }
    this.timestamps[this.length] = ts;
    this.values[this.length] = value;
    this.length += 1;
  }
}

/** Decodes an (uncompressed) WriteRequest; MalformedWriteRequestError when the bytes are not one. */
export function decodeWriteRequest(bytes: Uint8Array): DecodedWriteRequest {
  const r = new WireReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const columns = new SampleColumns();
  const series: RemoteSeries[] = [];
  const metadata: RemoteMetadata[] = [];
  let stale: Set<number> | undefined;
  const end = bytes.byteLength;
  while (r.pos < end) {
    const tag = r.varint(end);
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === WIRE_BYTES) {
      const seriesEnd = r.lengthEnd(end);
      const first = columns.length;
      let labelStart = -1;
      let labelEnd = -1;
      while (r.pos < seriesEnd) {
        const fieldStart = r.pos;
        const t = r.varint(seriesEnd);
        const f = t >>> 3;
        if (f === 1 && (t & 7) === WIRE_BYTES) {
          const labelMessageEnd = r.lengthEnd(seriesEnd);
          readLabel(r, labelMessageEnd, false);
          r.pos = labelMessageEnd;
          if (labelStart < 0) labelStart = fieldStart;
          labelEnd = labelMessageEnd;
        } else if (f === 2 && (t & 7) === WIRE_BYTES) {
          const sampleEnd = r.lengthEnd(seriesEnd);
          let value = 0;
          let ts = 0;
          let isStale = false;
          while (r.pos < sampleEnd) {
            const st = r.varint(sampleEnd);
            const sf = st >>> 3;
            if (sf === 1 && (st & 7) === WIRE_FIXED64) {
              const at = r.fixed(8, sampleEnd, "sample value");
              value = r.float64(at);
              isStale = Number.isNaN(value) && r.isStaleNaN(at);
            } else if (sf === 2 && (st & 7) === WIRE_VARINT) {
              ts = r.varint(sampleEnd);
            } else {
              r.skip(st & 7, sf, sampleEnd);
            }
          }
          if (isStale) {
            stale ??= new Set();
            stale.add(columns.length);
          }
          columns.push(ts, value);
        } else {
          r.skip(t & 7, f, seriesEnd);
        }
      }
      const labelKey = labelStart < 0 ? "" : r.bytes.toString("latin1", labelStart, labelEnd);
      series.push(new WireSeries(r, Math.max(labelStart, 0), Math.max(labelEnd, 0), labelKey, first, columns.length - first));
    } else if (field === 3 && (tag & 7) === WIRE_BYTES) {
      const metadataEnd = r.lengthEnd(end);
      let type = 0;
      let family = "";
      let help = "";
      while (r.pos < metadataEnd) {
        const t = r.varint(metadataEnd);
        const f = t >>> 3;
        if (f === 1 && (t & 7) === WIRE_VARINT) {
          type = r.varint(metadataEnd);
        } else if ((f === 2 || f === 4) && (t & 7) === WIRE_BYTES) {
          const stringEnd = r.lengthEnd(metadataEnd);
          r.checkUtf8(r.pos, stringEnd);
          if (f === 2) family = r.text(r.pos, stringEnd);
          else help = r.text(r.pos, stringEnd);
          r.pos = stringEnd;
        } else {
          r.skip(t & 7, f, metadataEnd);
        }
      }
      if (family) metadata.push({ family, type: METRIC_TYPES[type] ?? "unknown", help });
    } else {
      r.skip(tag & 7, field, end);
    }
  }
  const timestamps = columns.timestamps.subarray(0, columns.length);
  const values = columns.values.subarray(0, columns.length);
  return stale ? { series, metadata, samples: columns.length, timestamps, values, stale } : { series, metadata, samples: columns.length, timestamps, values };
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
