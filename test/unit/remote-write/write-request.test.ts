import snappy from "snappyjs";
import { describe, expect, it } from "vitest";
import { DEFAULT_SAMPLE_LIMITS } from "../../../server/ingest/sample-limits";
import { FamilyTypes, remoteSeries } from "../../../server/remote-write/remote-series";
import { compressWriteBody, decodeWriteBody, headerRefusal } from "../../../server/remote-write/write-body";
import { decodeWriteRequest, encodeWriteRequest } from "../../../server/remote-write/write-request";

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
    expect(decoded.series[0].timestamps).toEqual([1_800_000_000_123, 1_800_000_015_123]);
    const second = decoded.series[1];
    expect(Number.isNaN(second.values[0])).toBe(true);
    // The exporter's own NaN is a value; only the exact stale-NaN bits are a marker.
    expect([...(second.stale ?? [])]).toEqual([1]);
    expect(second.values[2]).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(second.values[3], -0)).toBe(true);
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
