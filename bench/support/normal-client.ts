/**
 * The abuse bench's normal client, on a worker thread of its own: `/api/healthz` every 100 ms
 * and the overview (as the dashboard asks for it) every 250 ms, open loop, until stopped. Its
 * own event loop is not the attackers' (whose answers, a hundred a second, would otherwise
 * delay its timers and its reading of answers, and be counted as the server's latency).
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { Agent, request } from "undici";

export interface PhaseFigures {
  healthz: number[];
  api: number[];
  healthzFailures: number;
  apiFailures: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The overview as the dashboard asks for it: the last hour (the default range), 60 points,
 * the range aligned to the step as `rangeQueryKey` does (components/controls/time-range.ts).
 */
export function overviewUrl(base: string): string {
  const step = 60_000;
  const to = Math.ceil(Date.now() / step) * step;
  const input = { from: to - 3_600_000, to, points: 60 };
  return `${base}/api/trpc/overview.summary?input=${encodeURIComponent(JSON.stringify(input))}`;
}

/** Starts the normal client on its worker; `stop()` ends it and returns what it measured. */
export function startNormalClient(base: string, token: string): { stop(): Promise<PhaseFigures> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: { base, token } });
  const figures = new Promise<PhaseFigures>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the normal client exited (code ${code}) before reporting`)));
  });
  return {
    async stop() {
      worker.postMessage("stop");
      const result = await figures;
      await worker.terminate();
      return result;
    },
  };
}

async function run(base: string, token: string): Promise<void> {
  const agent = new Agent({ connect: { localAddress: "127.0.0.1" }, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS, connections: 8 });
  const figures: PhaseFigures = { healthz: [], api: [], healthzFailures: 0, apiFailures: 0 };
  const pending = new Set<Promise<void>>();
  let stopping = false;
  parentPort?.once("message", () => {
    stopping = true;
  });
  const timed = async (url: string, headers?: Record<string, string>) => {
    const started = performance.now();
    try {
      const response = await request(url, { dispatcher: agent, headers });
      await response.body.dump();
      return { status: response.statusCode, ms: performance.now() - started };
    } catch {
      return { status: 0, ms: performance.now() - started };
    }
  };
  const every = (ms: number, work: () => Promise<void>) =>
    (async () => {
      let next = performance.now();
      while (!stopping) {
        const done = work().finally(() => pending.delete(done));
        pending.add(done);
        next += ms;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
  await Promise.all([
    every(100, async () => {
      const answer = await timed(`${base}/api/healthz`);
      figures.healthz.push(answer.ms);
      if (answer.status !== 200) figures.healthzFailures += 1;
    }),
    every(250, async () => {
      const answer = await timed(overviewUrl(base), { authorization: `Bearer ${token}` });
      figures.api.push(answer.ms);
      if (answer.status !== 200) figures.apiFailures += 1;
    }),
  ]);
  await Promise.all(pending);
  await agent.close();
  parentPort?.postMessage(figures);
}

if (!isMainThread && workerData?.base) void run(workerData.base, workerData.token);
