// The reconcile workload of bench/leaks.ts as a plain Node process, with or without the
// agent (`node --import @loopscope/agent/register bench/agent-workload.mjs PORT`).
// After a 2 s warm-up it prints "ready", then answers each stdin line "slice MS" with one
// JSON line {perSecond, cpuPerOp} for a slice of that length, so the bench can alternate
// short slices of a process with the agent and one without it (both alive all along,
// each slice beside its pair in time). "end" prints the young generation's size and exits.
import http from "node:http";
import { createInterface } from "node:readline";
import v8 from "node:v8";

const [port] = process.argv.slice(2).map(Number);
const withAgent = process.execArgv.some((a) => a.includes("register"));
const { trackWork } = withAgent ? await import("@loopscope/agent") : { trackWork: (_unit, fn) => Promise.resolve().then(fn) };
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function getJson() {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/api/v1/namespaces/default/pods/web-1", agent }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve(JSON.parse(text)));
      })
      .on("error", reject);
  });
}

async function reconcile() {
  await Promise.resolve();
  const deadline = setTimeout(() => undefined, 10_000);
  try {
    const object = await getJson();
    await Promise.resolve(object.metadata.resourceVersion);
  } finally {
    clearTimeout(deadline);
  }
  await Promise.resolve();
}

let ids = 0;
/** Reconciles per second over `ms`, and this process's CPU per reconcile (µs; all its threads, the collector's included). */
async function slice(ms, workers = 4) {
  let done = 0;
  const cpu = process.cpuUsage();
  const endAt = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < endAt) {
        ids += 1;
        await trackWork({ controller: "pods", key: `default/web-${ids % 50}` }, reconcile);
        done += 1;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { perSecond: done / (ms / 1_000), cpuPerOp: (used.user + used.system) / Math.max(done, 1) };
}

await slice(2_000);
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) {
  const [command, ms] = line.trim().split(" ");
  if (command === "slice") console.log(JSON.stringify(await slice(Number(ms))));
  else if (command === "end") break;
}
// The young generation V8 settled on: objects kept alive across young collections make it grow, and a
// larger one costs every allocation cache misses (the agent's short-lived bookkeeping must not do that).
const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
console.log(JSON.stringify({ newSpaceMb: (newSpace?.space_size ?? 0) / 1048576 }));
agent.destroy();
process.exit(0);
