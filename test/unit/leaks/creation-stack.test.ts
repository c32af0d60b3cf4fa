import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { captureCreationStack, formatFrames, projectFrames, readCreationStack, stackSignature } from "../../../server/leaks/creation-stack";
import { SourceMapResolver } from "../../../server/leaks/source-maps";

const root = "/srv/app";

describe("projectFrames", () => {
  it("keeps only the project's own frames, relative, innermost first", () => {
    const stack = [
      "Error",
      "    at Timeout.wrapper (/srv/app/server/leaks/interception/timers.ts:14:7)",
      "    at startPolling (/srv/app/server/controllers/pods.ts:42:19)",
      "    at new Promise (<anonymous>)",
      "    at async reconcile (file:///srv/app/server/controllers/pods.ts:17:3)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "    at Client.request (/srv/app/node_modules/undici/lib/client.js:10:2)",
      "    at /elsewhere/lib.js:1:1",
      "    at /srv/app/server/runtime/worker.ts:88:11",
    ].join("\n");
    expect(projectFrames(stack, root)).toEqual([
      { fn: "startPolling", location: "server/controllers/pods.ts:42:19" },
      { fn: "async reconcile", location: "server/controllers/pods.ts:17:3" },
      { fn: "", location: "server/runtime/worker.ts:88:11" },
    ]);
  });

  it("drops the tracker's own frames wherever the project lives", () => {
    const ownFile = path.resolve("server/leaks/leak-tracker.ts");
    const stack = `Error\n    at created (${ownFile}:1:1)\n    at leak (${path.resolve("test/x.ts")}:2:3)`;
    expect(projectFrames(stack, process.cwd())).toEqual([{ fn: "leak", location: "test/x.ts:2:3" }]);
  });

  it("ignores lines that are not frames", () => {
    expect(projectFrames("TypeError: boom\n    at eval (eval at <anonymous>)\nnot a frame", root)).toEqual([]);
  });
});

describe("stackSignature", () => {
  it("identifies the creation site by file:line of the top frames, ignoring columns", () => {
    const a = [
      { fn: "f", location: "a.ts:1:5" },
      { fn: "g", location: "b.ts:2:1" },
    ];
    const b = [
      { fn: "f", location: "a.ts:1:9" },
      { fn: "g", location: "b.ts:2:7" },
    ];
    expect(stackSignature(a)).toBe("a.ts:1 < b.ts:2");
    expect(stackSignature(a)).toBe(stackSignature(b));
    expect(stackSignature([{ fn: "f", location: "a.ts:3:5" }])).not.toBe(stackSignature(a));
  });

  it("formats frames like Node does", () => {
    expect(formatFrames([{ fn: "f", location: "a.ts:1:5" }, { fn: "", location: "b.ts:2:1" }])).toEqual(["f (a.ts:1:5)", "b.ts:2:1"]);
  });
});

describe("captureCreationStack", () => {
  it("starts below the given function and formats lazily to this file's frames", () => {
    function wrapper() {
      return captureCreationStack(wrapper);
    }
    const captured = wrapper(); // CAPTURE-SITE
    const frames = projectFrames(readCreationStack(captured, new SourceMapResolver(process.cwd())), process.cwd());
    const line = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").findIndex((l) => l.includes("// CAPTURE-SITE")) + 1;
    expect(frames[0].location).toMatch(new RegExp(`^test/unit/leaks/creation-stack\\.test\\.ts:${line}:\\d+$`));
    expect(frames.some((f) => f.fn === "wrapper")).toBe(false);
  });
});
