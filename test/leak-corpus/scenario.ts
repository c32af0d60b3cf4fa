import type { EventEmitter } from "node:events";
import type net from "node:net";
import type { TrackedType } from "../../server/leaks/resource-types";
import type { Cleanup } from "./harness";

/** What every scenario can use: loopback servers and long-lived objects created before any reconcile. */
export interface CorpusEnv {
  /** A TCP server that accepts connections and holds them open. */
  tcpPort: number;
  /** A TCP port nothing listens on (connections are refused). */
  closedPort: number;
  /** Loopback HTTP: `/ok` answers JSON, `/big` 1 MiB of JSON, `/hang` never answers. */
  httpBase: string;
  /** A Unix socket server that holds connections open. */
  pipePath: string;
  /** A directory for files and Unix sockets; `dataFile` is a 64 KiB file in it. */
  tempDir: string;
  dataFile: string;
  /** A long-lived event bus; nothing ever emits "shutdown" or "never" on it. */
  bus: EventEmitter;
  /** A long-lived AbortController that is never aborted. */
  lifetime: AbortController;
  /** A socket opened at start-up, outside any reconcile. */
  startupSocket: net.Socket;
  /** Module-level retention, as a leaky cache or registry would hold things. */
  parked: unknown[];
  /** Closes what a scenario leaked, at the end of the run. */
  cleanup: Cleanup;
}

/** One reconcile behaviour of the corpus: a leak, or a look-alike that must not be blamed. */
export interface LeakScenario {
  /** Also the controller name it runs under. */
  name: string;
  leaks: boolean;
  /** For leaks: the resource types a correct report names (any one of them). */
  expectedTypes: TrackedType[];
  /** Only visible in deep mode (promises). */
  deep?: boolean;
  /** Minimum time between this scenario's reconciles (heavy ones, e.g. child processes). */
  minPeriodMs?: number;
  reconcile(env: CorpusEnv, round: number): Promise<void>;
}
