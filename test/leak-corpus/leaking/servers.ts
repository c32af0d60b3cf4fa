import http from "node:http";
import net from "node:net";
import path from "node:path";
import type { CorpusEnv, LeakScenario } from "../scenario";

function keep<T extends net.Server>(env: CorpusEnv, server: T): T {
  server.on("error", () => undefined);
  env.cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

function listening(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.once("listening", () => resolve()));
}

export const serverLeaks: LeakScenario[] = [
  {
    name: "tcp-server-never-closed",
    leaks: true,
    expectedTypes: ["TCPServerWrap"],
    async reconcile(env) {
      const server = keep(env, net.createServer());
      server.listen(0, "127.0.0.1");
      await listening(server);
    },
  },
  {
    name: "http-server-never-closed",
    leaks: true,
    expectedTypes: ["TCPServerWrap"],
    async reconcile(env) {
      const server = keep(
        env,
        http.createServer((_request, response) => response.end("metrics")),
      );
      server.listen(0, "127.0.0.1");
      await listening(server);
    },
  },
  {
    name: "unix-server-never-closed",
    leaks: true,
    expectedTypes: ["PipeServerWrap"],
    async reconcile(env, round) {
      const server = keep(env, net.createServer());
      server.listen(path.join(env.tempDir, `admin-${round}.sock`));
      await listening(server);
    },
  },
  {
    name: "server-closed-only-on-error",
    leaks: true,
    expectedTypes: ["TCPServerWrap"],
    async reconcile(env) {
      const server = keep(env, net.createServer());
      server.on("error", () => server.close());
      server.listen({ port: 0, host: "127.0.0.1" });
      await listening(server);
    },
  },
];
