/**
 * A compact wire form for chart series: timestamps as deltas (ms) from the previous one and
 * values at 4 significant digits — plenty for a chart a few hundred pixels tall, and about
 * half the bytes of `[[t, v], …]`. Pure, shared by the server (pack) and the page (unpack).
 */
export interface PackedSeries {
  /** First timestamp (epoch ms); dt[0] is 0. */
  t0: number;
  dt: number[];
  v: number[];
}

export function roundValue(value: number): number {
  return value === 0 || !Number.isFinite(value) ? value : Number(value.toPrecision(4));
}

export function packSeries(points: readonly (readonly [number, number])[]): PackedSeries {
  const dt: number[] = [];
  const v: number[] = [];
  let previous = points.length > 0 ? points[0][0] : 0;
  for (const [t, value] of points) {
    dt.push(t - previous);
    v.push(roundValue(value));
    previous = t;
  }
  return { t0: points.length > 0 ? points[0][0] : 0, dt, v };
}

export function unpackSeries(packed: PackedSeries): [number, number][] {
  const out: [number, number][] = [];
  let t = packed.t0;
  for (let i = 0; i < packed.dt.length; i++) {
    t += packed.dt[i];
    out.push([t, packed.v[i]]);
  }
  return out;
}
