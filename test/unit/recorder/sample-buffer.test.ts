import { describe, expect, it } from "vitest";
import { SampleBuffer } from "../../../server/recorder/sample-buffer";
import { describeSeries } from "../../../server/recorder/sample";

const series = describeSeries("self", { metric: "m", labels: {}, type: "gauge", help: "" });

describe("SampleBuffer", () => {
  it("hands out samples oldest first across chunk boundaries", () => {
    const buffer = new SampleBuffer(20_000);
    for (let i = 0; i < 10_000; i += 1) buffer.push(series, i, i * 2);
    const batch = buffer.take(6_000)!;
    expect(batch.length).toBe(6_000);
    expect(batch.ts[0]).toBe(0);
    expect(batch.ts[5_999]).toBe(5_999);
    expect(batch.values[5_999]).toBe(11_998);
    expect(buffer.size).toBe(10_000);
    buffer.commit(batch);
    expect(buffer.size).toBe(4_000);
    expect(buffer.take(100_000)!.ts[0]).toBe(6_000);
  });

  it("drops the oldest queued samples when full, and counts them", () => {
    const buffer = new SampleBuffer(1_000);
    for (let i = 0; i < 1_500; i += 1) buffer.push(series, i, i);
    expect(buffer.size).toBe(1_000);
    expect(buffer.dropped).toBe(500);
    const all = buffer.take(2_000)!;
    expect(all.ts[0]).toBe(500);
    expect(all.ts[999]).toBe(1_499);
  });

  it("puts a failed batch back at the head, dropping the oldest if it no longer fits", () => {
    const buffer = new SampleBuffer(1_000);
    for (let i = 0; i < 600; i += 1) buffer.push(series, i, i);
    const batch = buffer.take(250)!;
    for (let i = 600; i < 1_200; i += 1) buffer.push(series, i, i);
    // 250 in flight + 750 queued = full; pushing 600 dropped the 200 oldest queued (250…449).
    expect(buffer.dropped).toBe(200);
    expect(buffer.restore(batch)).toBe(0);
    const order = buffer.take(10_000)!;
    expect(order.length).toBe(1_000);
    expect(Array.from(order.ts.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(order.ts[250]).toBe(450);
  });

  it("while a batch is in flight it still counts against the bound; the newcomer is dropped only if nothing is queued", () => {
    const buffer = new SampleBuffer(1_000);
    for (let i = 0; i < 1_000; i += 1) buffer.push(series, i, i);
    const batch = buffer.take(1_000)!;
    expect(buffer.push(series, 1_000, 0)).toBe(1);
    expect(buffer.size).toBe(1_000);
    expect(buffer.restore(batch)).toBe(0);
    expect(buffer.dropped).toBe(1);
    expect(buffer.take(10_000)!.ts[999]).toBe(999);
  });
});
