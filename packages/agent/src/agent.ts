import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { Registry } from "prom-client";
import { LeakTracker } from "../../../server/leaks/leak-tracker";
import { type ContextPropagation, contextPropagation, contextPropagationHint } from "../../../server/runtime/context";
import { renderGoroutineDump } from "./goroutine-text";
import { leakProfile } from "./pprof-profile";

/** How the agent is set up. Every field is optional. */
export interface AgentOptions {
  /** Port to serve /metrics, /leaks and /debug/pprof/ on; 0 picks a free one; undefined serves nothing. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** How long a resource may outlive its unit of work before it counts as leaked (default 10 s). */
  graceMs?: number;
  /**
   * How often leaks are judged (default 2.5 s). The trend test looks at the last 12
   * judgements (30 s at the default), 5 and 15 minutes; a leak as fast as one resource per
   * few requests is a suspect about 45 s after it starts (grace, then 30 s of growth).
   */
  sampleIntervalMs?: number;
  /** Share of units of work whose resources get a creation stack (default 0.1; leaking controllers get all). */
  stackSampleRate?: number;
  /** Track promises too (async_hooks; costlier). Default false. */
  promiseTracking?: boolean;
  /** Only frames under this directory are the application's own (default: the working directory). */
  projectRoot?: string;
}

/** One group of leaked resources: same type, same creation stack. */
export interface LeakGroupView {
  id: string;
  type: string;
  suspect: boolean;
  count: number;
  growthPerMinute: number;
  controllers: { controller: string; count: number }[];
  /** Application frames, innermost first, as "fn (file:line:column)" in the original source. */
  stack: string[];
  topFrame: string | null;
}

export interface RunningAgent {
  /** Base URL of the agent's HTTP endpoints, or null when it serves none. */
  readonly url: string | null;
  /** How this Node.js carries each unit of work's context ("async-hooks" costs about three times as much; a warning says how to fix it). */
  readonly contextPropagation: ContextPropagation;
  /** Current suspect groups, largest first. */
  suspects(): LeakGroupView[];
  /** Every group with live members. */
  groups(): LeakGroupView[];
  setPromiseTracking(enabled: boolean): void;
  stop(): Promise<void>;
}

type Holder = { __loopscopeAgent?: Promise<RunningAgent> };

/**
 * Starts the agent once per process (later calls return the same one): installs the leak
 * tracker and, when `port` is given, serves
 * - `/metrics`: loopscope_active_resources, loopscope_leak_suspects, loopscope_leaked_resources (Prometheus text);
 * - `/leaks`: groups and suspects as JSON;
 * - `/debug/pprof/leaks`: the groups as a gzipped pprof profile (`go tool pprof`, speedscope);
 * - `/debug/pprof/goroutine?debug=2`: leaked resources in Go's goroutine-dump text, so
 *   Loopscope collects the agent like any Go pprof target.
 */
export function startAgent(options: AgentOptions = {}): Promise<RunningAgent> {
  const holder = globalThis as Holder;
  holder.__loopscopeAgent ??= launch(options);
  return holder.__loopscopeAgent;
}

/** The agent judges more often than Loopscope's own tracker (5 s), so a leak shows within a minute of starting. */
const DEFAULT_SAMPLE_INTERVAL_MS = 2_500;

/**
 * The trend test's windows for judgements every `sampleIntervalMs`: the last 12 of them
 * (fast leaks; also how soon a stopped leak clears), and at least 5 and 15 minutes (slow ones).
 */
export function agentGrowthWindows(sampleIntervalMs: number): { windowsMs: number[]; recentMs: number } {
  const shortest = 12 * sampleIntervalMs;
  return { windowsMs: [shortest, Math.max(60 * sampleIntervalMs, 300_000), Math.max(180 * sampleIntervalMs, 900_000)], recentMs: shortest };
}

async function launch(options: AgentOptions): Promise<RunningAgent> {
  const propagation = contextPropagation();
  const hint = contextPropagationHint(propagation);
  if (hint) process.emitWarning(`@loopscope/agent: ${hint}`, { code: "LOOPSCOPE_CONTEXT_ON_ASYNC_HOOKS" });
  const registry = new Registry();
  const sampleIntervalMs = options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
  const tracker = new LeakTracker({
    graceMs: options.graceMs ?? 10_000,
    sampleIntervalMs,
    growth: agentGrowthWindows(sampleIntervalMs),
    stackSampleRate: options.stackSampleRate,
    deepMode: options.promiseTracking,
    projectRoot: options.projectRoot,
    registry,
  });
  const view = (g: ReturnType<LeakTracker["groupList"]>[number]): LeakGroupView => ({
    id: g.id,
    type: g.type,
    suspect: g.suspect,
    count: g.count,
    growthPerMinute: g.growthPerMinute,
    controllers: g.controllers,
    stack: g.stack,
    topFrame: g.topFrame,
  });
  // The server listens before the tracker intercepts, so it is never one of the tracked handles.
  let server: http.Server | undefined;
  let url: string | null = null;
  if (options.port !== undefined) {
    server = http.createServer((req, res) => {
      serve(tracker, propagation, req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(error instanceof Error ? error.message : String(error));
      });
    });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
    });
    server.unref();
    const address = server.address() as AddressInfo;
    url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  }
  await tracker.start();
  return {
    url,
    contextPropagation: propagation,
    suspects: () => tracker.suspects().map(view),
    groups: () => tracker.groupList().map(view),
    setPromiseTracking: (enabled) => tracker.setDeepMode(enabled),
    async stop() {
      await tracker.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      (globalThis as Holder).__loopscopeAgent = undefined;
    },
  };
}

async function serve(tracker: LeakTracker, propagation: ContextPropagation, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET") {
    res.writeHead(405, { allow: "GET" }).end();
    return;
  }
  switch (path) {
    case "/metrics": {
      const registry = tracker.metricRegistry();
      const body = registry ? await registry.metrics() : "";
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(body);
      return;
    }
    case "/leaks":
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: { ...tracker.status(), contextPropagation: propagation }, suspects: tracker.suspects(), groups: tracker.groupList() }));
      return;
    case "/debug/pprof/leaks":
    case "/debug/pprof/leaks.pb.gz":
      res.writeHead(200, { "content-type": "application/octet-stream", "content-disposition": 'attachment; filename="leaks.pb.gz"' }).end(gzipSync(leakProfile(tracker.groupList(), Date.now())));
      return;
    case "/debug/pprof/goroutine":
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(renderGoroutineDump(tracker.groupList()));
      return;
    default:
      res.writeHead(404, { "content-type": "text/plain" }).end("Unknown profile\n");
  }
}
