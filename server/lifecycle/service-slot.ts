/**
 * One named service of the composition root (server/composition.ts) and where it is in its
 * life: not started yet, running here, built but run by the leader replica, turned off by
 * the configuration, or stopped. Callers ask the slot instead of a registry, and a service
 * that is not running here answers with a typed error that says why.
 */
import type { BackgroundService } from "./service-set";

export type ServiceState = "starting" | "running" | "follower" | "off" | "stopped";

/** Why a service cannot answer here; `state` is never "running". */
export class ServiceUnavailableError extends Error {
  override readonly name = "ServiceUnavailableError";
  constructor(
    readonly service: string,
    readonly state: Exclude<ServiceState, "running">,
    message: string,
  ) {
    super(message);
  }
}

type Current<T> =
  | { state: "starting" }
  | { state: "running"; value: T }
  | { state: "follower"; value: T | undefined; leader: () => string | undefined }
  | { state: "off"; reason: string }
  | { state: "stopped" };

export class ServiceSlot<T> {
  private current: Current<T> = { state: "starting" };

  /** `service`: the name in errors ("runtime"); `what`: what it does, for people ("the controller loop"). */
  constructor(
    readonly service: string,
    readonly what: string,
  ) {}

  get state(): ServiceState {
    return this.current.state;
  }

  /** The service runs in this process. */
  provide(value: T): void {
    this.current = { state: "running", value };
  }

  /** A leader-only service: this replica holds a built, not running, instance (for reading what it stored). */
  follow(value: T | undefined, leader: () => string | undefined): void {
    this.current = { state: "follower", value, leader };
  }

  /** The configuration turns the service off in this process (e.g. no cluster: no cluster health). */
  off(reason: string): void {
    this.current = { state: "off", reason };
  }

  withdraw(): void {
    this.current = { state: "stopped" };
  }

  /** A background service (named `name`) that provides `value` here while it runs, and withdraws it when stopped. */
  publisher(name: string, value: T): BackgroundService {
    return {
      name,
      start: async () => this.provide(value),
      stop: async () => this.withdraw(),
    };
  }

  /** The running instance; a ServiceUnavailableError saying why when it does not run here. */
  get(): T {
    if (this.current.state === "running") return this.current.value;
    throw this.unavailable();
  }

  /** The running instance, or undefined. */
  find(): T | undefined {
    return this.current.state === "running" ? this.current.value : undefined;
  }

  /**
   * The instance for reading and editing what it stores in the database: the running one,
   * or on a follower the built one (the leader acts on the stored changes).
   */
  stored(): T {
    if (this.current.state === "running") return this.current.value;
    if (this.current.state === "follower" && this.current.value !== undefined) return this.current.value;
    throw this.unavailable();
  }

  findStored(): T | undefined {
    return this.current.state === "running" || this.current.state === "follower" ? this.current.value : undefined;
  }

  unavailable(): ServiceUnavailableError {
    const c = this.current;
    switch (c.state) {
      case "running":
        throw new Error(`The ${this.service} service is running.`);
      case "follower": {
        const leader = c.leader();
        return new ServiceUnavailableError(
          this.service,
          "follower",
          `This replica is a follower: ${this.what} runs on the leader${leader ? ` (${leader})` : ""}. Ask the leader's dashboard.`,
        );
      }
      case "off":
        return new ServiceUnavailableError(this.service, "off", `${capitalised(this.what)} is off in this process: ${c.reason}.`);
      case "starting":
        return new ServiceUnavailableError(this.service, "starting", `${capitalised(this.what)} is not running yet (Loopscope is starting).`);
      case "stopped":
        return new ServiceUnavailableError(this.service, "stopped", `${capitalised(this.what)} has stopped (Loopscope is shutting down).`);
    }
  }
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
