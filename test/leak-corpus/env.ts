import { EventEmitter, setMaxListeners } from "node:events";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Cleanup } from "./harness";
import type { CorpusEnv } from "./scenario";

function listen(server: net.Server, target: number | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    if (typeof target === "string") server.listen(target, resolve);
    else server.listen(target, "127.0.0.1", resolve);
  });
}

function portOf(server: net.Server): number {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no TCP address");
  return address.port;
}

/**
 * Starts the loopback servers and long-lived objects the scenarios use. Call it before
 * the tracker starts (or outside any reconcile); `close` tears everything down,
 * including what scenarios leaked.
 */
export async function createCorpusEnv(): Promise<{ env: CorpusEnv; close(): Promise<void> }> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-leaks-"));
  const dataFile = path.join(tempDir, "data.bin");
  fs.writeFileSync(dataFile, Buffer.alloc(64 * 1024, 7));
  const held = new Set<net.Socket>();
  const hold = (socket: net.Socket) => {
    held.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => held.delete(socket));
  };

  const tcp = net.createServer(hold);
  await listen(tcp, 0);
  const pipePath = path.join(tempDir, "sink.sock");
  const pipe = net.createServer(hold);
  await listen(pipe, pipePath);
  const refused = net.createServer();
  await listen(refused, 0);
  const closedPort = portOf(refused);
  await new Promise<void>((resolve) => refused.close(() => resolve()));

  const hanging = new Set<http.ServerResponse>();
  // Larger than a fetch body's buffer, so an unread response holds its connection.
  const big = JSON.stringify({ kind: "List", items: Array.from({ length: 16_384 }, (_, i) => ({ name: `item-${i}`, pad: "x".repeat(40) })) });
  const web = http.createServer((request, response) => {
    if (request.url === "/hang") {
      hanging.add(response);
      return;
    }
    response.setHeader("content-type", "application/json");
    if (request.url === "/big") {
      response.end(big);
      return;
    }
    response.end(JSON.stringify({ kind: "Pod", metadata: { name: "demo", resourceVersion: "1" } }));
  });
  web.keepAliveTimeout = 60_000;
  await listen(web, 0);

  // Load fetch's (lazily compiled) HTTP client now, so the first fetch in a scenario is not a 1 s outlier.
  await (await fetch(`http://127.0.0.1:${portOf(web)}/ok`)).json();

  const startupSocket = net.connect(portOf(tcp), "127.0.0.1");
  startupSocket.on("error", () => undefined);
  await new Promise<void>((resolve) => startupSocket.once("connect", () => resolve()));

  const cleanup = new Cleanup();
  const lifetime = new AbortController();
  setMaxListeners(0, lifetime.signal);
  const env: CorpusEnv = {
    tcpPort: portOf(tcp),
    closedPort,
    httpBase: `http://127.0.0.1:${portOf(web)}`,
    pipePath,
    tempDir,
    dataFile,
    bus: new EventEmitter().setMaxListeners(0),
    lifetime,
    startupSocket,
    parked: [],
    cleanup,
  };
  return {
    env,
    async close() {
      await cleanup.run();
      // Stop accepting first, then end what is open: a leaked timer that still connects must
      // not slip a connection in after the sockets were destroyed and hold close() open.
      const closed = Promise.all([tcp, pipe, web].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      startupSocket.destroy();
      for (const response of hanging) response.destroy();
      for (const socket of held) socket.destroy();
      web.closeAllConnections();
      await closed;
      env.bus.removeAllListeners();
      env.parked.length = 0;
      fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
