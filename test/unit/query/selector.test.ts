import { describe, expect, it } from "vitest";
import { compileMatchers, parseSelector, SelectorError } from "../../../server/query/selector";

const series: { name: string; labels: Record<string, string> }[] = [
  { name: "a", labels: { controller: "pods", result: "success" } },
  { name: "b", labels: { controller: "pods-extra", result: "error" } },
  { name: "c", labels: { controller: "nodes" } },
  { name: "d", labels: { controller: "multi\nline", result: "" } },
];

function select(matchers: Parameters<typeof compileMatchers>[0]): string[] {
  const match = compileMatchers(matchers);
  return series.filter((s) => match(s.labels)).map((s) => s.name);
}

describe("label matchers (Prometheus semantics)", () => {
  it("= and != compare exact values, a missing label being the empty string", () => {
    expect(select([{ name: "controller", op: "=", value: "pods" }])).toEqual(["a"]);
    expect(select([{ name: "result", op: "=", value: "" }])).toEqual(["c", "d"]);
    expect(select([{ name: "result", op: "!=", value: "" }])).toEqual(["a", "b"]);
    expect(select([{ name: "result", op: "!=", value: "error" }])).toEqual(["a", "c", "d"]);
  });

  it("regular expressions are fully anchored", () => {
    expect(select([{ name: "controller", op: "=~", value: "pods" }])).toEqual(["a"]);
    expect(select([{ name: "controller", op: "=~", value: "pods.*" }])).toEqual(["a", "b"]);
    expect(select([{ name: "controller", op: "=~", value: "od" }])).toEqual([]);
    expect(select([{ name: "controller", op: "=~", value: "pods|nodes" }])).toEqual(["a", "c"]);
    expect(select([{ name: "controller", op: "!~", value: "pods|nodes" }])).toEqual(["b", "d"]);
  });

  it("regex on a missing label matches the empty string, and . matches newlines", () => {
    expect(select([{ name: "result", op: "=~", value: "" }])).toEqual(["c", "d"]);
    expect(select([{ name: "result", op: "=~", value: ".+" }])).toEqual(["a", "b"]);
    expect(select([{ name: "controller", op: "=~", value: "multi.line" }])).toEqual(["d"]);
  });

  it("all matchers must hold", () => {
    expect(
      select([
        { name: "controller", op: "=~", value: "pods.*" },
        { name: "result", op: "!=", value: "error" },
      ]),
    ).toEqual(["a"]);
  });

  it("rejects an invalid regular expression with the matcher named", () => {
    expect(() => compileMatchers([{ name: "x", op: "=~", value: "(" }])).toThrow(/x=~"\("/);
  });
});

describe("parseSelector", () => {
  it("parses a metric name with matchers of every kind", () => {
    expect(parseSelector('workqueue_adds_total{name="pods", controller!="x", le=~"0\\\\.5|1", q!~\'a"b\'}')).toEqual({
      metric: "workqueue_adds_total",
      matchers: [
        { name: "name", op: "=", value: "pods" },
        { name: "controller", op: "!=", value: "x" },
        { name: "le", op: "=~", value: "0\\.5|1" },
        { name: "q", op: "!~", value: 'a"b' },
      ],
    });
  });

  it("takes the metric from __name__ and accepts a bare name", () => {
    expect(parseSelector('{__name__="up", job="x"}')).toEqual({ metric: "up", matchers: [{ name: "job", op: "=", value: "x" }] });
    expect(parseSelector("  up ")).toEqual({ metric: "up", matchers: [] });
  });

  it("unescapes \\n, \\\" and \\\\ in double-quoted values", () => {
    expect(parseSelector('m{a="x\\ny\\"z\\\\"}').matchers[0].value).toBe('x\ny"z\\');
  });

  it("says what is wrong with a bad selector", () => {
    expect(() => parseSelector("m{a=b}")).toThrow(SelectorError);
    expect(() => parseSelector("m{a=b}")).toThrow(/near/);
    expect(() => parseSelector("9bad")).toThrow(/not a metric name/);
    expect(() => parseSelector('m{a="x"')).toThrow(/closing/);
    expect(() => parseSelector('m{a=~"("}')).toThrow(/invalid regular expression/);
  });
});
