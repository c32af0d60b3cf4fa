import net from "node:net";
import { currentReconcile, type ReconcileContext } from "../runtime";
import type { LoopbackServer } from "./loopback-server";

export type LeakKind = "timer" | "socket" | "promise";

/** One leaked handle and the reconcile that created it (as the context said at creation). */
export interface LeakRecord {
  kind: LeakKind;
  createdAt: number;
  context: ReconcileContext | undefined;
}

export interface LeakCaps {
  timers: number;
  sockets: number;
  promises: number;
}

export const DEFAULT_LEAK_CAPS: LeakCaps = { timers: 2_000, sockets: 200, promises: 5_000 };

/**
 * Creates real leaks on purpose: intervals that are never cleared, sockets to the
 * loopback server that are never closed, promises that never settle. Call the `leak*`
 * methods from INSIDE a reconcile so the reconcile context is what a leak tracker sees
 * at creation. Each kind is capped so a long fault cannot exhaust the process, and
 * `release` ends them all (when the fault window or the demo ends).
 */
export class LeakInjector {
  private readonly timers: { handle: NodeJS.Timeout; record: LeakRecord }[] = [];
  private readonly sockets: { socket: net.Socket; record: LeakRecord }[] = [];
  private readonly promises: { promise: Promise<void>; settle: () => void; record: LeakRecord }[] = [];
  private readonly caps: LeakCaps;
  private ticks = 0;

  constructor(
    private readonly loopback: LoopbackServer,
    caps: Partial<LeakCaps> = {},
  ) {
    this.caps = { ...DEFAULT_LEAK_CAPS, ...caps };
  }

  /** An interval that is never cleared. Returns false at the cap. */
  leakTimer(periodMs = 1_000): boolean {
    if (this.timers.length >= this.caps.timers) return false;
    const handle = setInterval(() => {
      this.ticks += 1;
    }, periodMs);
    this.timers.push({ handle, record: this.record("timer") });
    return true;
  }

  /** A socket to the loopback server that is never closed. Returns false at the cap. */
  leakSocket(): boolean {
    if (this.sockets.length >= this.caps.sockets || this.loopback.port === 0) return false;
    const socket = net.connect({ port: this.loopback.port, host: "127.0.0.1" });
    socket.on("error", () => undefined);
    this.sockets.push({ socket, record: this.record("socket") });
    return true;
  }

  /**
   * A promise that never settles, kept reachable: a wait for a condition that never comes
   * true, polled without a deadline (the usual shape of a hung await in a reconcile), so
   * it also keeps one re-armed timer alive while it waits. Returns false at the cap.
   */
  leakPromise(pollMs = 1_000): boolean {
    if (this.promises.length >= this.caps.promises) return false;
    let settle: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      let poll: NodeJS.Timeout | undefined;
      const check = () => {
        this.ticks += 1;
        poll = setTimeout(check, pollMs);
      };
      settle = () => {
        clearTimeout(poll);
        resolve();
      };
      check();
    });
    this.promises.push({ promise, settle, record: this.record("promise") });
    return true;
  }

  counts(): Record<LeakKind, number> {
    return { timer: this.timers.length, socket: this.sockets.length, promise: this.promises.length };
  }

  /** Every live leak with the context it was created in. */
  records(): LeakRecord[] {
    return [...this.timers, ...this.sockets, ...this.promises].map((leak) => leak.record);
  }

  /** Ends the leaks of one kind, or all. */
  release(kind?: LeakKind): void {
    if (kind === undefined || kind === "timer") {
      for (const { handle } of this.timers) clearInterval(handle);
      this.timers.length = 0;
    }
    if (kind === undefined || kind === "socket") {
      for (const { socket } of this.sockets) socket.destroy();
      this.sockets.length = 0;
    }
    if (kind === undefined || kind === "promise") {
      for (const { settle } of this.promises) settle();
      this.promises.length = 0;
    }
  }

  private record(kind: LeakKind): LeakRecord {
    const context = currentReconcile();
    return { kind, createdAt: Date.now(), context: context ? { ...context } : undefined };
  }
}
