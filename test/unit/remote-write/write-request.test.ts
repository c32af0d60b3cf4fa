import snappy from "snappyjs";
import { describe, expect, it } from "vitest";
import { DEFAULT_SAMPLE_LIMITS } from "../../../server/ingest/sample-limits";
import { FamilyTypes, remoteSeries } from "../../../server/remote-write/remote-series";
import { compressWriteBody, decodeWriteBody, headerRefusal } from "../../../server/remote-write/write-body";
import { type DecodedWriteRequest, decodeWriteRequest, encodeWriteRequest, MalformedWriteRequestError } from "../../../server/remote-write/write-request";

/** A series' samples out of the request's columns. */
function samplesOf(decoded: DecodedWriteRequest, j: number): { timestamps: number[]; values: number[] } {
  const { first, count } = decoded.series[j];
  return { timestamps: [...decoded.timestamps.subarray(first, first + count)], values: [...decoded.values.subarray(first, first + count)] };
}

/** Protobuf wire format by hand: a varint, a length-delimited field, a tag. */
const varint = (n: bigint): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
};
const tag = (field: number, wireType: number) => varint(BigInt((field << 3) | wireType));
const bytesField = (field: number, body: number[]) => [...tag(field, 2), ...varint(BigInt(body.length)), ...body];
const text = (s: string) => [...Buffer.from(s, "utf8")];
const label = (name: string, value: string) => bytesField(1, [...bytesField(1, text(name)), ...bytesField(2, text(value))]);
const sample = (value: number, ts: bigint) => {
  const double = Buffer.alloc(8);
  double.writeDoubleLE(value);
  return bytesField(2, [...tag(1, 1), ...double, ...tag(2, 0), ...varint(ts)]);
};

const V1 = { contentType: "application/x-protobuf", contentEncoding: "snappy", version: "0.1.0" };

describe("remote-write WriteRequest", () => {
  it("round-trips series, int64 timestamps, special values and Prometheus's stale NaN", () => {
    const bytes = encodeWriteRequest({
      series: [
        { labels: { __name__: "up", job: "a", instance: "h:1" }, samples: [{ ts: 1_800_000_000_123, value: 1 }, { ts: 1_800_000_015_123, value: 0 }] },
        {
          labels: { __name__: "x_total" },
          samples: [
            { ts: 1, value: Number.NaN },
            { ts: 2, value: 0, stale: true },
            { ts: 3, value: Number.POSITIVE_INFINITY },
            { ts: 4, value: -0 },
          ],
        },
      ],
    });
    const decoded = decodeWriteRequest(bytes);
    expect(decoded.samples).toBe(6);
    expect(decoded.series[0].labels).toEqual([["__name__", "up"], ["instance", "h:1"], ["job", "a"]]);
    expect([...samplesOf(decoded, 0).timestamps]).toEqual([1_800_000_000_123, 1_800_000_015_123]);
    const second = samplesOf(decoded, 1);
    expect(second.timestamps).toEqual([1, 2, 3, 4]);
    expect(Number.isNaN(second.values[0])).toBe(true);
    // The exporter's own NaN is a value; only the exact stale-NaN bits are a marker.
    expect([...(decoded.stale ?? [])]).toEqual([3]);
    expect(second.values[2]).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(second.values[3], -0)).toBe(true);
  });

  it("reads the wire format as Prometheus writes it: unknown fields skipped, negative and large int64 timestamps, metadata", () => {
    const exemplar = bytesField(3, [...label("trace_id", "abc"), ...tag(2, 1), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    const histogram = bytesField(4, [...tag(1, 0), ...varint(3n), ...tag(9, 5), 1, 2, 3, 4]);
    const series = bytesField(1, [...label("__name__", "m"), ...label("pod", "é"), ...sample(1.5, -1000n), ...exemplar, ...histogram, ...sample(2, 2n ** 52n)]);
    const metadata = bytesField(3, [...tag(1, 0), ...varint(1n), ...bytesField(2, text("m")), ...bytesField(4, text("help me")), ...bytesField(5, text("seconds"))]);
    const unknownTop = [...tag(7, 0), ...varint(5n)];
    const decoded = decodeWriteRequest(new Uint8Array([...unknownTop, ...series, ...metadata]));
    expect(decoded.samples).toBe(2);
    expect(decoded.series[0].labels).toEqual([["__name__", "m"], ["pod", "é"]]);
    expect(samplesOf(decoded, 0)).toEqual({ timestamps: [-1000, 2 ** 52], values: [1.5, 2] });
    expect(decoded.metadata).toEqual([{ family: "m", type: "counter", help: "help me" }]);
    // The same labels give the same key whatever the samples; other labels another one.
    const again = decodeWriteRequest(new Uint8Array(bytesField(1, [...label("__name__", "m"), ...label("pod", "é"), ...sample(7, 9n)])));
    expect(again.series[0].labelKey).toBe(decoded.series[0].labelKey);
    const other = decodeWriteRequest(new Uint8Array(bytesField(1, [...label("__name__", "m"), ...label("pod", "e"), ...sample(7, 9n)])));
    expect(other.series[0].labelKey).not.toBe(decoded.series[0].labelKey);
    // A series without samples is kept (with none), an empty request is empty.
    expect(decodeWriteRequest(new Uint8Array(bytesField(1, label("__name__", "m")))).series[0]).toMatchObject({ count: 0 });
    expect(decodeWriteRequest(new Uint8Array())).toMatchObject({ series: [], samples: 0 });
  });

  it("refuses truncated messages, lengths past their message and strings that are not UTF-8", () => {
    const good = bytesField(1, [...label("__name__", "m"), ...sample(1, 5n)]);
    expect(() => decodeWriteRequest(new Uint8Array(good.slice(0, -3)))).toThrow(MalformedWriteRequestError);
    expect(() => decodeWriteRequest(new Uint8Array([...good, 0x0a, 0x05, 0x01]))).toThrow(MalformedWriteRequestError);
    expect(() => decodeWriteRequest(new Uint8Array(bytesField(1, bytesField(1, bytesField(2, [0xff, 0xfe])))))).toThrow(/UTF-8/);
    expect(() => decodeWriteRequest(new Uint8Array([...tag(1, 6), 0]))).toThrow(/wire type/);
    expect(decodeWriteBody(compressWriteBody(new Uint8Array(bytesField(1, bytesField(1, bytesField(1, [0xc3, 0x28]))))))).toMatchObject({ refusal: { status: 400 } });
  });

  it("refuses bodies that are not snappy or not a WriteRequest, and other encodings and versions", () => {
    expect(decodeWriteBody(new Uint8Array([1, 2, 3]))).toMatchObject({ refusal: { status: 400 } });
    expect(decodeWriteBody(compressWriteBody(new Uint8Array([0x0a, 0xff, 0xff])))).toMatchObject({ refusal: { status: 400 } });
    // A snappy header promising more than the decoded limit is refused before allocating.
    expect(decodeWriteBody(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]))).toMatchObject({ refusal: { status: 400 } });
    const body = compressWriteBody(encodeWriteRequest({ series: [{ labels: { __name__: "m" }, samples: [{ ts: 5, value: 7 }] }] }));
    expect(decodeWriteBody(body)).toMatchObject({ request: { samples: 1 } });
    expect(snappy.uncompress(body)).toBeDefined();
    expect(headerRefusal(V1)).toBeUndefined();
    expect(headerRefusal({ ...V1, version: null })).toBeUndefined();
    expect(headerRefusal({ ...V1, contentEncoding: "gzip" })?.status).toBe(415);
    expect(headerRefusal({ ...V1, contentType: "application/json" })?.status).toBe(415);
    expect(headerRefusal({ ...V1, contentType: "application/x-protobuf;proto=io.prometheus.write.v2.Request", version: "2.0.0" })?.status).toBe(415);
  });

  it("a series needs a valid metric name and distinct valid label names; limits are the scrape ones", () => {
    expect(remoteSeries([["__name__", "m"], ["a", "1"], ["empty", ""]], DEFAULT_SAMPLE_LIMITS)).toEqual({ metric: "m", labels: { a: "1" } });
    expect(remoteSeries([["a", "1"]], DEFAULT_SAMPLE_LIMITS)).toMatchObject({ refused: { reason: "label_name_invalid" } });
    expect(remoteSeries([["__name__", "m"], ["a-b", "1"]], DEFAULT_SAMPLE_LIMITS)).toMatchObject({ refused: { reason: "label_name_invalid" } });
    expect(remoteSeries([["__name__", "m"], ["a", "1"], ["a", "2"]], DEFAULT_SAMPLE_LIMITS)).toMatchObject({ refused: { reason: "label_name_invalid" } });
    expect(remoteSeries([["__name__", "m"], ["a", "x".repeat(5_000)]], DEFAULT_SAMPLE_LIMITS)).toMatchObject({ refused: { reason: "label_value_length" } });
  });

  it("types come from the metadata Prometheus sends, else from the name", () => {
    const types = new FamilyTypes();
    expect(types.of("http_requests_total").type).toBe("counter");
    expect(types.of("rpc_seconds_sum").type).toBe("untyped");
    types.learn([{ family: "rpc_seconds", type: "summary", help: "RPC latency" }]);
    expect(types.of("rpc_seconds_sum")).toEqual({ type: "summary", help: "RPC latency" });
  });
});
