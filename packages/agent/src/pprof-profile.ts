import { parseFormattedFrame } from "./frames";

/**
 * The agent's leak groups as a pprof profile (perftools.profiles.Profile, protobuf, to be
 * gzipped): one sample per group, valued by its live resources, with the creation stack as
 * locations, and `type` and `controller` labels. `go tool pprof` and speedscope open it.
 * A hand-written encoder of the handful of fields used (no dependency).
 */

interface GroupLike {
  type: string;
  count: number;
  stack: readonly string[];
  controllers: readonly { controller: string; count: number }[];
}

class Writer {
  private readonly bytes: number[] = [];

  varint(value: number): this {
    let v = BigInt(Math.max(0, Math.floor(value)));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      this.bytes.push(byte);
    } while (v > 0n);
    return this;
  }

  tag(field: number, wireType: 0 | 2): this {
    return this.varint((field << 3) | wireType);
  }

  uint(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.finish());
  }

  packed(field: number, values: readonly number[]): this {
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export function leakProfile(groups: readonly GroupLike[], nowMs: number): Uint8Array {
  const strings = [""];
  const index = new Map<string, number>([["", 0]]);
  const str = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const functions = new Map<string, { id: number; name: number; file: number }>();
  const locations = new Map<string, { id: number; fn: number; line: number; column: number }>();
  const samples: { locations: number[]; value: number; labels: [number, number][] }[] = [];
  const sampleType = [str("resources"), str("count")];
  for (const group of groups) {
    if (group.count <= 0) continue;
    const frames = group.stack.length > 0 ? group.stack.map(parseFormattedFrame) : [{ fn: `(${group.type}, stack not sampled)`, file: "", line: 0, column: 0 }];
    const ids: number[] = [];
    for (const f of frames) {
      const fnKey = `${f.fn}\u0000${f.file}`;
      let fn = functions.get(fnKey);
      if (!fn) {
        fn = { id: functions.size + 1, name: str(f.fn), file: str(f.file) };
        functions.set(fnKey, fn);
      }
      const locKey = `${fnKey}\u0000${f.line}\u0000${f.column}`;
      let loc = locations.get(locKey);
      if (!loc) {
        loc = { id: locations.size + 1, fn: fn.id, line: f.line, column: f.column };
        locations.set(locKey, loc);
      }
      ids.push(loc.id);
    }
    const labels: [number, number][] = [[str("type"), str(group.type)]];
    const top = [...group.controllers].sort((a, b) => b.count - a.count)[0];
    if (top) labels.push([str("controller"), str(top.controller)]);
    samples.push({ locations: ids, value: group.count, labels });
  }
  const w = new Writer();
  w.message(1, (m) => m.uint(1, sampleType[0]).uint(2, sampleType[1]));
  for (const s of samples) {
    w.message(2, (m) => {
      m.packed(1, s.locations).packed(2, [s.value]);
      for (const [key, value] of s.labels) m.message(3, (l) => l.uint(1, key).uint(2, value));
    });
  }
  for (const loc of locations.values()) {
    w.message(4, (m) => {
      m.uint(1, loc.id);
      m.message(4, (l) => {
        l.uint(1, loc.fn).uint(2, loc.line);
        if (loc.column > 0) l.uint(3, loc.column);
      });
    });
  }
  for (const fn of functions.values()) w.message(5, (m) => m.uint(1, fn.id).uint(2, fn.name).uint(3, fn.name).uint(4, fn.file));
  for (const s of strings) w.bytesField(6, new TextEncoder().encode(s));
  w.uint(9, nowMs * 1_000_000);
  w.message(11, (m) => m.uint(1, sampleType[0]).uint(2, sampleType[1]));
  return w.finish();
}
