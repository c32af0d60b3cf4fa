import http from "node:http";
import net from "node:net";
import type { CorpusEnv, LeakScenario } from "../scenario";

function connected(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
}

function keep(env: CorpusEnv, socket: net.Socket): net.Socket {
  socket.on("error", () => undefined);
  env.cleanup.add(() => socket.destroy());
  return socket;
}

const connectionCache = new Map<string, net.Socket>();
const hangingAgents = new Map<string, http.Agent>();
const unreadResponses = new Map<string, Response>();

function hangingRequest(env: CorpusEnv, agent: http.Agent | false): void {
  const request = http.get(`${env.httpBase}/hang`, { agent });
  request.on("error", () => undefined);
  env.cleanup.add(() => request.destroy());
}

export const socketLeaks: LeakScenario[] = [
  {
    name: "tcp-connect-never-ended",
    leaks: true,
    expectedTypes: ["TCPSocketWrap"],
    async reconcile(env) {
      const socket = keep(env, net.connect(env.tcpPort, "127.0.0.1"));
      await connected(socket);
      socket.write("GET /status\n");
    },
  },
  {
    name: "tcp-socket-with-listener-never-destroyed",
    leaks: true,
    expectedTypes: ["TCPSocketWrap"],
    async reconcile(env) {
      const socket = keep(env, net.createConnection({ port: env.tcpPort, host: "127.0.0.1" }));
      socket.on("data", () => undefined);
      await connected(socket);
    },
  },
  {
    name: "tcp-connection-cache-per-key",
    leaks: true,
    expectedTypes: ["TCPSocketWrap"],
    async reconcile(env, round) {
      const socket = keep(env, net.connect(env.tcpPort, "127.0.0.1"));
      connectionCache.set(`default/object-${round}`, socket);
      await connected(socket);
    },
  },
  {
    name: "http-request-to-hanging-endpoint",
    leaks: true,
    expectedTypes: ["TCPSocketWrap"],
    async reconcile(env) {
      hangingRequest(env, false);
    },
  },
  {
    name: "keepalive-request-hanging",
    leaks: true,
    expectedTypes: ["TCPSocketWrap"],
    async reconcile(env) {
      let agent = hangingAgents.get("hang");
      if (!agent) {
        agent = new http.Agent({ keepAlive: true, maxSockets: 1_000 });
        hangingAgents.set("hang", agent);
        env.cleanup.add(() => agent?.destroy());
      }
      hangingRequest(env, agent);
    },
  },
  {
    name: "unix-socket-never-closed",
    leaks: true,
    expectedTypes: ["PipeWrap"],
    async reconcile(env) {
      await connected(keep(env, net.connect(env.pipePath)));
    },
  },
  {
    name: "socket-with-heartbeat-interval",
    leaks: true,
    expectedTypes: ["TCPSocketWrap", "Timeout"],
    async reconcile(env) {
      const socket = keep(env, net.connect(env.tcpPort, "127.0.0.1"));
      await connected(socket);
      const heartbeat = setInterval(() => socket.write("ping\n"), 1_000);
      env.cleanup.add(() => clearInterval(heartbeat));
    },
  },
  {
    name: "tcp-end-without-peer-close",
    leaks: true,
    expectedTypes: ["TCPSocketWrap"],
    async reconcile(env) {
      // end() only half-closes: the peer never ends its side, so the socket stays open.
      const socket = keep(env, net.connect({ port: env.tcpPort, host: "127.0.0.1", allowHalfOpen: true }));
      await connected(socket);
      socket.end("bye\n");
    },
  },
  {
    // fetch's keep-alive pool is not a leak (the fetch-loopback look-alike); a response whose
    // body is never read is: its connection stays busy, so every fetch opens another.
    name: "fetch-response-body-never-read",
    leaks: true,
    expectedTypes: ["FetchResponse"],
    async reconcile(env, round) {
      const response = await fetch(`${env.httpBase}/big`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      unreadResponses.set(`default/object-${round}`, response);
      env.cleanup.add(() => response.body?.cancel().catch(() => undefined));
    },
  },
];
