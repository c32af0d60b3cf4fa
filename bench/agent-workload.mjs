// The reconcile workload of bench/leaks.ts as a plain Node process, with or without the
// agent (`node --import @loopscope/agent/register bench/agent-workload.mjs PORT SLICES SLICE_MS`).
// Prints one JSON line: throughput (reconciles/s) of each slice after a warm-up.
import http from "node:http";

const [port, slices, sliceMs] = process.argv.slice(2).map(Number);
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
async function throughput(ms, workers = 4) {
  let done = 0;
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
  return done / (ms / 1_000);
}

await throughput(2_000);
const out = [];
const cpu = process.cpuUsage();
let ops = 0;
for (let i = 0; i < slices; i++) {
  const perSecond = await throughput(sliceMs);
  out.push(perSecond);
  ops += perSecond * (sliceMs / 1_000);
}
const used = process.cpuUsage(cpu);
// This process's CPU per reconcile (µs), less sensitive than throughput to other work on the machine.
console.error(`cpu-us-per-op ${((used.user + used.system) / ops).toFixed(1)}`);
console.log(JSON.stringify(out));
agent.destroy();
process.exit(0);
