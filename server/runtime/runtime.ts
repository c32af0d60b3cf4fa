import type { Registry } from "prom-client";
import type { BackgroundService } from "../lifecycle/service-set";
import { type Logger, log as rootLog } from "../log";
import { metricsRegistry } from "../metrics/registry";
import type { Clock } from "./clock";
import type { ReconcileContext } from "./context";
import { Controller, type ControllerOptions } from "./controller/controller";
import { reasonForEvent } from "./controller/reason";
import type { ControllerState } from "./controller/state";
import type { EventSource, ObjectEvent, WatchHealth } from "./source";

/** One fault window of a source that injects faults (the demo cluster), as ground truth. */
export interface FaultWindow {
  id: number;
  fault: string;
  controller: string;
  /** The key the fault targets (hot key, stuck key), once known. */
  key: string | null;
  /** Epoch ms. */
  startAt: number;
  /** Epoch ms; null = until the source stops. */
  endAt: number | null;
  state: "past" | "active" | "upcoming";
}

export interface FaultReport {
  schedule: string;
  seed: number;
  timeScale: number;
  current: FaultWindow | null;
  windows: FaultWindow[];
}

/** An event source that knows which faults it injects and when. */
export interface FaultInjectingSource extends EventSource {
  faultReport(): FaultReport;
}

export function isFaultInjecting(source: EventSource | null): source is FaultInjectingSource {
  return source !== null && typeof (source as Partial<FaultInjectingSource>).faultReport === "function";
}

export type RuntimeStatus = "created" | "starting" | "running" | "stopping" | "stopped";

export interface RuntimeState {
  status: RuntimeStatus;
  sourceKind: EventSource["kind"] | "none";
  /** Epoch ms. */
  startedAt: number | null;
  /** Events naming a controller that is not registered, by controller name. */
  unroutedEvents: Record<string, number>;
  /** Object events routed to a controller since start (for event-rate figures). */
  routedEvents: number;
  controllers: ControllerState[];
}

export interface ControllerRuntimeOptions {
  /** Where object events come from; null = controllers are fed only through `enqueue`. */
  source?: EventSource | null;
  /** Registry for every controller's metrics (default the process registry); false = none. */
  registry?: Registry | false;
  log?: Logger;
  clock?: Clock;
  /** Passed to every controller: told when each reconcile settles (wire the leak tracker's `reconcileSettled`). */
  onReconcileSettled?: (context: ReconcileContext) => void;
}


/**
 * The controllers of this process and the source that feeds them: it routes each
 * ObjectEvent to the controller named in `event.controller` (with the event's reason),
 * starts the controllers before the source and stops the source before the
 * controllers, and serves the live state the UI shows.
 */
export class ControllerRuntime implements BackgroundService {
  readonly name = "runtime";
  readonly source: EventSource | null;
  private readonly registry: Registry | false;
  private readonly log: Logger;
  private readonly clock: Clock | undefined;
  private readonly onReconcileSettled: ((context: ReconcileContext) => void) | undefined;
  private readonly byName = new Map<string, Controller>();
  private readonly unrouted = new Map<string, number>();
  private routed = 0;
  private currentStatus: RuntimeStatus = "created";
  private startedAt: number | null = null;

  constructor(options: ControllerRuntimeOptions = {}) {
    this.source = options.source ?? null;
    this.registry = options.registry === undefined ? metricsRegistry() : options.registry;
    this.log = (options.log ?? rootLog).child({ component: "runtime" });
    this.clock = options.clock;
    this.onReconcileSettled = options.onReconcileSettled;
  }

  get status(): RuntimeStatus {
    return this.currentStatus;
  }

  /** Creates a controller with this runtime's registry, clock and logger, and registers it. */
  addController(options: ControllerOptions): Controller {
    const controller = new Controller({ registry: this.registry, clock: this.clock, log: this.log, onReconcileSettled: this.onReconcileSettled, ...options });
    this.register(controller);
    return controller;
  }

  /** Registers a controller built elsewhere; it is started at once if the runtime runs. */
  register(controller: Controller): void {
    if (this.byName.has(controller.name)) throw new Error(`A controller named "${controller.name}" is already registered`);
    this.byName.set(controller.name, controller);
    if (this.currentStatus === "running" || this.currentStatus === "starting") controller.start();
  }

  controller(name: string): Controller | undefined {
    return this.byName.get(name);
  }

  controllers(): Controller[] {
    return [...this.byName.values()];
  }

  /** Routes one object event to its controller. */
  dispatch(event: ObjectEvent): void {
    const controller = this.byName.get(event.controller);
    if (!controller) {
      const count = (this.unrouted.get(event.controller) ?? 0) + 1;
      this.unrouted.set(event.controller, count);
      if (count === 1) this.log.warn({ controller: event.controller, kind: this.source?.kind }, "event for an unknown controller dropped");
      return;
    }
    this.routed += 1;
    controller.enqueue(event.key, reasonForEvent(event.type));
  }

  async start(): Promise<void> {
    if (this.currentStatus !== "created") return;
    this.currentStatus = "starting";
    this.startedAt = Date.now();
    for (const controller of this.byName.values()) controller.start();
    await this.source?.start((event) => this.dispatch(event));
    this.currentStatus = "running";
    this.log.info({ source: this.source?.kind ?? "none", controllers: [...this.byName.keys()] }, "controller runtime started");
  }

  /** Stops the source first (no new events), then every controller in parallel (each drains, bounded). */
  async stop(): Promise<void> {
    if (this.currentStatus === "stopped" || this.currentStatus === "stopping") return;
    this.currentStatus = "stopping";
    try {
      await this.source?.stop();
    } catch (error) {
      this.log.error({ err: error }, "event source failed to stop cleanly");
    }
    await Promise.all([...this.byName.values()].map((controller) => controller.stop()));
    this.currentStatus = "stopped";
  }

  /** Live state of every controller, for the UI. */
  state(options: { limit?: number } = {}): RuntimeState {
    return {
      status: this.currentStatus,
      sourceKind: this.source?.kind ?? "none",
      startedAt: this.startedAt,
      unroutedEvents: Object.fromEntries(this.unrouted),
      routedEvents: this.routed,
      controllers: [...this.byName.values()].map((controller) => controller.state(options)),
    };
  }

  watches(): WatchHealth[] {
    return this.source?.watches() ?? [];
  }

  /** The source's fault schedule (ground truth), or null when the source injects no faults. */
  faults(): FaultReport | null {
    return isFaultInjecting(this.source) ? this.source.faultReport() : null;
  }
}
