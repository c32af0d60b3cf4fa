import { spawn } from "node:child_process";
import { pbkdf2, randomBytes } from "node:crypto";
import dns from "node:dns";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { CorpusEnv, LeakScenario } from "./scenario";

const tick = () => undefined;
const agents = new Map<string, http.Agent>();

function agentFor(env: CorpusEnv, name: string): http.Agent {
  let agent = agents.get(name);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    agents.set(name, agent);
    const created = agent;
    env.cleanup.add(() => created.destroy());
  }
  return agent;
}

function getJson(url: string, agent: http.Agent): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve(JSON.parse(body)));
      })
      .on("error", reject);
  });
}

/** Reconciles that look like leaks to a handle-based detector but are not (anchors §4 false positives). */
export const lookAlikes: LeakScenario[] = [
  {
    name: "unref-interval",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const timer = setInterval(tick, 10_000).unref();
      env.cleanup.add(() => clearInterval(timer));
    },
  },
  {
    name: "unref-long-timeout",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const timer = setTimeout(tick, 3_600_000);
      timer.unref();
      env.cleanup.add(() => clearTimeout(timer));
    },
  },
  {
    name: "keepalive-agent-request",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      await getJson(`${env.httpBase}/ok`, agentFor(env, "keepalive"));
    },
  },
  {
    name: "keepalive-agent-concurrent-requests",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const agent = agentFor(env, "concurrent");
      await Promise.all([1, 2, 3].map(() => getJson(`${env.httpBase}/ok`, agent)));
    },
  },
  {
    name: "fetch-loopback",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const response = await fetch(`${env.httpBase}/ok`);
      await response.json();
    },
  },
  {
    name: "dns-lookup-promise",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await dns.promises.lookup("localhost");
    },
  },
  {
    name: "dns-lookup-callback",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await new Promise<void>((resolve) => dns.lookup("localhost", () => resolve()));
    },
  },
  {
    name: "crypto-random-bytes",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await new Promise<void>((resolve, reject) => randomBytes(32, (error) => (error ? reject(error) : resolve())));
    },
  },
  {
    name: "crypto-pbkdf2",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await new Promise<void>((resolve, reject) => pbkdf2("secret", "salt", 1_000, 32, "sha256", (error) => (error ? reject(error) : resolve())));
    },
  },
  {
    name: "deadline-timeout-cleared",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const deadline = setTimeout(tick, 30_000);
      try {
        const response = await fetch(`${env.httpBase}/ok`);
        await response.json();
      } finally {
        clearTimeout(deadline);
      }
    },
  },
  {
    name: "interval-cleared-after-ticks",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await new Promise<void>((resolve) => {
        let ticks = 0;
        const timer = setInterval(() => {
          ticks += 1;
          if (ticks === 2) {
            clearInterval(timer);
            resolve();
          }
        }, 5);
      });
    },
  },
  {
    name: "socket-closed-after-use",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const socket = net.connect(env.tcpPort, "127.0.0.1");
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("error", reject);
      });
      socket.write("status\n");
      socket.destroy();
      await new Promise((resolve) => socket.once("close", resolve));
    },
  },
  {
    name: "server-listen-then-close",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  },
  {
    name: "filehandle-opened-and-closed",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const handle = await fs.promises.open(env.dataFile, "r");
      try {
        await handle.read(Buffer.alloc(64), 0, 64, 0);
      } finally {
        await handle.close();
      }
    },
  },
  {
    name: "readstream-fully-consumed",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      let bytes = 0;
      for await (const chunk of fs.createReadStream(env.dataFile)) bytes += (chunk as Buffer).length;
      if (bytes === 0) throw new Error("empty read");
    },
  },
  {
    name: "fd-opened-and-closed",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const fd = fs.openSync(env.dataFile, "r");
      fs.closeSync(fd);
      await fs.promises.readFile(env.dataFile);
    },
  },
  {
    name: "child-process-awaited",
    leaks: false,
    expectedTypes: [],
    minPeriodMs: 150,
    async reconcile() {
      const child = spawn("true", [], { stdio: "ignore" });
      await new Promise((resolve) => child.once("exit", resolve));
    },
  },
  {
    name: "timers-promises-sleep",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await sleep(5);
    },
  },
  {
    name: "promise-race-with-cleared-timeout",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), 10_000);
      });
      try {
        await Promise.race([fetch(`${env.httpBase}/ok`).then((r) => r.json()), timeout]);
      } finally {
        clearTimeout(timer);
      }
      timeout.catch(() => undefined);
    },
  },
  {
    name: "immediate-yield",
    leaks: false,
    expectedTypes: [],
    async reconcile() {
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  },
  {
    name: "startup-socket-reused",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      env.startupSocket.write("reconcile\n");
    },
  },
  {
    name: "abort-signal-timeout",
    leaks: false,
    expectedTypes: [],
    async reconcile(env) {
      const response = await fetch(`${env.httpBase}/ok`, { signal: AbortSignal.timeout(5_000) });
      await response.json();
    },
  },
];
