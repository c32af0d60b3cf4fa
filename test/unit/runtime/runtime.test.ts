import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../server/runtime/clock";
import type { ReconcileRequest } from "../../../server/runtime/controller/controller";
import { ControllerRuntime } from "../../../server/runtime/runtime";
import type { EventSource, ObjectEventSink, WatchHealth } from "../../../server/runtime/source";
import { testServices } from "../../support/services";
import { createCallerFactory } from "../../../server/trpc/init";
import { runtimeRouter } from "../../../server/trpc/routers/runtime";

const services = testServices();

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A source driven by the test. */
class ScriptedSource implements EventSource {
  readonly kind = "kubernetes" as const;
  sink: ObjectEventSink | undefined;
  stopped = false;

  async start(sink: ObjectEventSink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sink = undefined;
  }

  watches(): WatchHealth[] {
    return [{ kind: "Pod", path: "/api/v1/pods", connected: true, lastEventAt: 1, lastConnectAt: 1, restarts: 2, lastError: null, objects: 3, stalled: false }];
  }
}

describe("ControllerRuntime", () => {
  it("routes events to the controller they name, with the event's reason; counts unknown controllers", async () => {
    const source = new ScriptedSource();
    const runtime = new ControllerRuntime({ source, registry: false, clock: new ManualClock() });
    const seen: Pick<ReconcileRequest, "controller" | "key" | "reason">[] = [];
    for (const name of ["pods", "nodes"]) {
      runtime.addController({ name, reconcile: ({ controller, key, reason }) => void seen.push({ controller, key, reason }) });
    }
    await runtime.start();
    source.sink?.({ controller: "pods", type: "added", key: "ns/a" });
    source.sink?.({ controller: "nodes", type: "deleted", key: "n1" });
    source.sink?.({ controller: "pods", type: "resync", key: "ns/b" });
    source.sink?.({ controller: "services", type: "added", key: "ns/s" });
    await settle();
    expect(seen).toEqual([
      { controller: "pods", key: "ns/a", reason: "object-added" },
      { controller: "nodes", key: "n1", reason: "object-deleted" },
      { controller: "pods", key: "ns/b", reason: "resync" },
    ]);
    const state = runtime.state();
    expect(state).toMatchObject({ status: "running", sourceKind: "kubernetes", unroutedEvents: { services: 1 } });
    expect(state.controllers.map((c) => c.name)).toEqual(["pods", "nodes"]);
    expect(() => runtime.addController({ name: "pods", reconcile: () => undefined })).toThrow(/already registered/);
    await runtime.stop();
    expect(source.stopped).toBe(true);
    expect(runtime.controllers().every((c) => c.status === "stopped")).toBe(true);
    expect(runtime.faults()).toBeNull();
  });

  it("serves controllers, one controller, faults and watches over tRPC", async () => {
    const source = new ScriptedSource();
    const runtime = new ControllerRuntime({ source, registry: false, clock: new ManualClock() });
    runtime.addController({ name: "pods", reconcile: () => undefined, maxConcurrentReconciles: 3 });
    await runtime.start();
    const caller = createCallerFactory(runtimeRouter)({ headers: new Headers(), services });
    await expect(caller.controllers()).rejects.toThrow(/not running/);
    services.runtime.provide(runtime);
    try {
      const state = await caller.controllers();
      expect(state.controllers[0]).toMatchObject({ name: "pods", status: "running", workers: { busy: 0, max: 3 } });
      await expect(caller.controller({ name: "pods" })).resolves.toMatchObject({ name: "pods" });
      await expect(caller.controller({ name: "nope" })).rejects.toThrow(/No controller named "nope"/);
      await expect(caller.controller({ name: "" })).rejects.toThrow();
      await expect(caller.faults()).resolves.toBeNull();
      await expect(caller.watches()).resolves.toMatchObject({ sourceKind: "kubernetes", watches: [{ kind: "Pod", restarts: 2 }] });
    } finally {
      services.runtime.withdraw();
      await runtime.stop();
    }
  });
});
