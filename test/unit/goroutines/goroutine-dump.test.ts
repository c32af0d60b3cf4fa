import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { functionName, parseGoroutineDump } from "../../../server/goroutines/goroutine-dump";
import { groupGoroutines } from "../../../server/goroutines/goroutine-groups";
import { isStandardLibrary, shortLocation } from "../../../server/goroutines/user-frames";

/**
 * Dumps captured from real Go programs (see test/fixtures/goroutine-dumps/README.md):
 * Debian's Prometheus 2.42 (Go 1.19), the controller-runtime operator fixture (Go 1.26.8)
 * and the stdlib dumper built with Go 1.20.14, 1.22.12 and 1.26.8.
 */
const dir = path.join(import.meta.dirname, "../../fixtures/goroutine-dumps");
const dump = (name: string) => readFileSync(path.join(dir, name), "utf8");
/** Independent count: every header line of the text. */
const headers = (text: string) => text.split("\n").filter((l) => /^goroutine \d+ \[/.test(l)).length;

describe("parseGoroutineDump on real dumps", () => {
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".txt"))) {
    it(`${name}: every goroutine, every frame with file:line, nothing skipped`, () => {
      const text = dump(name);
      const parsed = parseGoroutineDump(text);
      expect(parsed.goroutines.length).toBe(headers(text));
      expect(parsed.skippedLines).toBe(0);
      const tabLines = text.split("\n").filter((l) => l.startsWith("\t")).length;
      const framesAndCreators = parsed.goroutines.reduce((n, g) => n + g.frames.length + (g.createdBy ? 1 : 0), 0);
      expect(framesAndCreators).toBe(tabLines);
      for (const g of parsed.goroutines) {
        expect(g.frames.length).toBeGreaterThan(0);
        for (const f of g.frames) {
          expect(f.fn).not.toMatch(/\(0x/);
          expect(f.line).toBeGreaterThan(0);
        }
      }
      expect(new Set(parsed.goroutines.map((g) => g.id)).size).toBe(parsed.goroutines.length);
    });
  }

  it("reads the pre-1.21 creation line (Go 1.19 Prometheus, Go 1.20 dumper): no creating goroutine id", () => {
    for (const name of ["prometheus-2.42-debian.txt", "dumper-go1.20.14.txt"]) {
      const created = parseGoroutineDump(dump(name)).goroutines.filter((g) => g.createdBy);
      expect(created.length).toBeGreaterThan(5);
      expect(created.every((g) => g.createdByGoroutine === null)).toBe(true);
    }
    const send = parseGoroutineDump(dump("dumper-go1.20.14.txt")).goroutines.find((g) => g.state === "chan send")!;
    expect(send.createdBy).toEqual({ fn: "main.main", file: "/src/test/fixtures/goroutine-dumper/main.go", line: 40 });
  });

  it("reads the 1.21+ creation line with the creating goroutine (Go 1.22, 1.26)", () => {
    for (const name of ["dumper-go1.22.12.txt", "dumper-go1.26.8.txt"]) {
      const nested = parseGoroutineDump(dump(name)).goroutines.find((g) => g.createdBy?.fn === "main.nested")!;
      expect(nested.createdByGoroutine).toBeGreaterThan(1);
      expect(nested.frames[0]).toMatchObject({ fn: "main.blockedSend", line: 14 });
    }
  });

  it("groups the operator's leaked goroutines into one chan-send group whose top user frame is the leaking line", () => {
    const groups = groupGoroutines(parseGoroutineDump(dump("controller-runtime-operator-go1.26.8.txt")).goroutines);
    const leak = groups[0];
    expect(leak.state).toBe("chan send");
    expect(leak.count).toBeGreaterThanOrEqual(20);
    expect(leak.topUserFrame).toBe("main.leakOne.func1 (/src/test/fixtures/go-operator/main.go:35)");
    expect(leak.createdBy).toMatchObject({ fn: "main.leakOne", line: 34 });
    // A goroutine wholly inside controller-runtime falls back to its frames, never to the runtime's.
    const worker = groups.find((g) => g.frames.some((f) => f.fn.includes("controller-runtime/pkg/internal/controller")))!;
    expect(worker.topUserFrame).toMatch(/^sigs\.k8s\.io\/controller-runtime\//);
    expect(groups.filter((g) => g.topUserFrame?.includes("main.go:35"))).toHaveLength(1);
  });

  it("states: wait minutes, locked to thread, leaked, GOTRACEBACK=system headers", () => {
    const text = [
      "goroutine 7 gp=0xc000007a40 m=nil [chan receive, 12 minutes, locked to thread]:",
      "main.wait(...)",
      "\t/app/main.go:10 +0x1d",
      "",
      "goroutine 8 [chan send (leaked)]:",
      "main.leak.func1()",
      "\t/app/main.go:20 +0x1d fp=0xc000 sp=0xc000 pc=0x4",
      "...additional frames elided...",
      "created by main.leak in goroutine 1",
      "\t/app/main.go:19 +0x2a",
      "",
    ].join("\n");
    const [a, b] = parseGoroutineDump(text).goroutines;
    expect(a).toMatchObject({ id: 7, state: "chan receive", waitMinutes: 12, lockedToThread: true, leaked: false });
    expect(b).toMatchObject({ id: 8, state: "chan send", leaked: true, elidedFrames: true, createdByGoroutine: 1 });
    expect(b.frames).toEqual([{ fn: "main.leak.func1", file: "/app/main.go", line: 20 }]);
  });

  it("never throws on hostile input and counts what it skipped", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2_000 }), (text) => {
        const parsed = parseGoroutineDump(text);
        return Array.isArray(parsed.goroutines) && parsed.skippedLines >= 0;
      }),
    );
    expect(parseGoroutineDump("<html>502 Bad Gateway</html>\n")).toEqual({ goroutines: [], skippedLines: 1 });
  });

  it("function names keep receivers and drop arguments", () => {
    expect(functionName("net/http.(*conn).serve(0xc000, {0x1, 0x2})")).toBe("net/http.(*conn).serve");
    expect(functionName("main.main()")).toBe("main.main");
    expect(functionName("panic({0x4f, 0xc0})")).toBe("panic");
    expect(functionName("sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller[...]).Start.func2(...)")).toBe(
      "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller[...]).Start.func2",
    );
  });

  it("tells standard-library frames from module frames and shortens GOROOT and module-cache paths", () => {
    expect(isStandardLibrary({ fn: "net/http.(*conn).serve", file: "", line: 1 })).toBe(true);
    expect(isStandardLibrary({ fn: "main.main", file: "", line: 1 })).toBe(false);
    expect(isStandardLibrary({ fn: "github.com/prometheus/prometheus/web.serveDebug", file: "", line: 1 })).toBe(false);
    expect(shortLocation({ fn: "x", file: "/usr/local/go/src/net/http/server.go", line: 3 })).toBe("net/http/server.go:3");
    expect(shortLocation({ fn: "x", file: "/home/u/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.25.2/pkg/manager/internal.go", line: 9 })).toBe(
      "sigs.k8s.io/controller-runtime@v0.25.2/pkg/manager/internal.go:9",
    );
  });
});
