import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as demo from "../../../server/demo";
import * as runtime from "../../../server/runtime";

const runtimeDir = path.resolve("server/runtime");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

describe("the controller runtime's public surface", () => {
  it("exports no demo: the demo cluster lives in server/demo and is built on the runtime", () => {
    const names = Object.keys(runtime);
    expect(names.filter((n) => /demo|fault(plan)?$|schedule/i.test(n))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(["ControllerRuntime", "Controller", "WorkQueue", "RateLimitingQueue", "DelayingQueue"]));
    expect(Object.keys(demo)).toEqual(expect.arrayContaining(["DemoCluster", "createDemoRuntime", "parseSchedule", "DEMO_FAULTS"]));
  });

  it("no runtime module imports the demo, and the demo imports only the runtime's public surface", () => {
    for (const file of sources(runtimeDir)) expect(fs.readFileSync(file, "utf8"), file).not.toMatch(/from "[^"]*\/demo(\/[^"]*)?"/);
    expect(fs.existsSync(path.join(runtimeDir, "demo"))).toBe(false);
    for (const file of sources(path.resolve("server/demo"))) {
      for (const [, spec] of fs.readFileSync(file, "utf8").matchAll(/from "(\.\.\/runtime[^"]*)"/g)) expect(spec, file).toBe("../runtime");
    }
  });
});
