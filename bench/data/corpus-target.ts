/**
 * The Node program the corpus recorder watches: Loopscope's demo controllers (no demo
 * faults) plus prom-client's process metrics, on a loopback port. The recorder injects
 * faults into it over HTTP: `POST /fault/leak-timers?seconds=N` creates 20 intervals a
 * second for N seconds and then clears them all; `POST /fault/block?seconds=N` blocks the
 * event loop 150 ms in every 500 ms for N seconds. Prints `listening <port>` when ready.
 */
import http from "node:http";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createDemoRuntime } from "../../server/demo/demo-runtime";

const registry = new Registry();
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
const { runtime } = createDemoRuntime({ schedule: "none", registry, seed: 7 });
await runtime.start();

function leakTimers(seconds: number): void {
  const leaked: NodeJS.Timeout[] = [];
  const creator = setInterval(() => {
    for (let i = 0; i < 4; i++) leaked.push(setInterval(() => {}, 60_000));
  }, 200);
  setTimeout(() => {
    clearInterval(creator);
    for (const t of leaked) clearInterval(t);
  }, seconds * 1000);
}

function blockLoop(seconds: number): void {
  const until = Date.now() + seconds * 1000;
  const tick = setInterval(() => {
    if (Date.now() > until) return clearInterval(tick);
    const end = Date.now() + 150;
    while (Date.now() < end) {
      /* busy: the fault is a blocked event loop */
    }
  }, 500);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname === "/metrics") {
    res.setHeader("content-type", registry.contentType);
    res.end(await registry.metrics());
    return;
  }
  const seconds = Math.min(120, Math.max(1, Number(url.searchParams.get("seconds") ?? 60)));
  if (req.method === "POST" && url.pathname === "/fault/leak-timers") leakTimers(seconds);
  else if (req.method === "POST" && url.pathname === "/fault/block") blockLoop(seconds);
  else {
    res.statusCode = 404;
    res.end("not found\n");
    return;
  }
  res.end("ok\n");
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening ${typeof address === "object" && address ? address.port : ""}`);
});
