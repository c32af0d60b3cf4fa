import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { freePort } from "./app-process";

/**
 * A real kube-apiserver backed by a real etcd, both built from their published Go
 * modules by scripts/build-kube-apiserver.sh (cached in .cache/go) and started here on
 * loopback: free ports, a temp folder, a generated service-account key, a static token
 * (user in system:masters) and RBAC. The watch cache is off so a watch from a compacted
 * resourceVersion reaches etcd and is answered 410 Gone, as a busy cluster does.
 * Nothing is downloaded at run time.
 */
export interface RealApiServer {
  /** The API server's own URL (https, self-signed). */
  readonly url: string;
  readonly token: string;
  /** A kubeconfig file for it (what KUBECONFIG points a Loopscope process at). */
  readonly kubeconfigPath: string;
  /** A kubeconfig for `server` (default: the API server itself; pass a proxy's URL to go through it). */
  kubeConfig(server?: string): KubeConfig;
  /** Writes a kubeconfig file for `server` and returns its path. */
  writeKubeconfig(file: string, server?: string): string;
  /** A GET with the admin token, straight to the API server (a short watch ends with its timeoutSeconds). */
  get(pathAndQuery: string): Promise<{ status: number; body: string }>;
  /** The API server's counter `apiserver_request_total` summed over the given verb and resource. */
  requestCount(verb: string, resource: string): Promise<number>;
  /** Compacts etcd's history up to its current revision; returns that revision. */
  compact(): Promise<number>;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, ".cache/go/bin");

/** Builds etcd and kube-apiserver when missing or stale (a no-op once they are built). */
export function ensureKubeBinaries(): { etcd: string; kubeApiserver: string } {
  execFileSync("bash", [path.join(ROOT, "scripts/build-kube-apiserver.sh")], { stdio: "inherit" });
  return { etcd: path.join(BIN, "etcd"), kubeApiserver: path.join(BIN, "kube-apiserver") };
}

interface Child {
  process: ChildProcess;
  logFile: string;
}

function start(name: string, binary: string, args: string[], dir: string): Child {
  const logFile = path.join(dir, `${name}.log`);
  const out = fs.openSync(logFile, "a");
  const child = spawn(binary, args, { stdio: ["ignore", out, out] });
  fs.closeSync(out);
  return { process: child, logFile };
}

function tail(child: Child, lines = 30): string {
  const text = fs.existsSync(child.logFile) ? fs.readFileSync(child.logFile, "utf8") : "";
  return text.split("\n").slice(-lines).join("\n");
}

async function stopChild(child: Child): Promise<void> {
  const p = child.process;
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
  p.kill("SIGTERM");
  const timer = setTimeout(() => p.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** GET on the API server with the admin token (its certificate is self-signed). */
function apiGet(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 5_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on("error", reject);
  });
}

async function waitFor(what: string, child: Child, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) throw new Error(`${what}: the process exited (${child.process.exitCode}):\n${tail(child)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms:\n${tail(child)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function etcdPost<T>(etcdUrl: string, route: string, body: unknown): Promise<T> {
  const response = await fetch(`${etcdUrl}${route}`, { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`etcd ${route}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function kubeconfigText(server: string, token: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "real", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "admin", user: { token } }],
    contexts: [{ name: "real", context: { cluster: "real", user: "admin", namespace: "default" } }],
    "current-context": "real",
  });
}

export async function startRealApiServer(options: { readyTimeoutMs?: number } = {}): Promise<RealApiServer> {
  const binaries = ensureKubeBinaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-kube-"));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const token = crypto.randomBytes(24).toString("hex");
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},loopscope-test,loopscope-test-uid,"system:masters"\n`, { mode: 0o600 });
  const children: Child[] = [];
  const close = async () => {
    for (const child of children.reverse()) await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const etcd = start(
      "etcd",
      binaries.etcd,
      [
        `--data-dir=${path.join(dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        "--log-level=warn",
      ],
      dir,
    );
    children.push(etcd);
    const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
    await waitFor("etcd did not become healthy", etcd, async () => (await (await fetch(`${etcdUrl}/health`)).json()).health === "true", readyTimeoutMs);
    const url = `https://127.0.0.1:${apiPort}`;
    const apiserver = start(
      "kube-apiserver",
      binaries.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${path.join(dir, "certs")}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        `--service-account-key-file=${path.join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
        `--token-auth-file=${path.join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--watch-cache=false",
        "--service-cluster-ip-range=10.96.0.0/24",
        // Loopback cannot be the kubernetes Service's endpoint; nothing here needs one.
        "--endpoint-reconciler-type=none",
      ],
      dir,
    );
    children.push(apiserver);
    await waitFor("kube-apiserver did not become ready", apiserver, async () => (await apiGet(`${url}/readyz`, token)).body === "ok", readyTimeoutMs);
    // The bootstrap controller creates the default namespace shortly after readiness.
    await waitFor("the default namespace did not appear", apiserver, async () => (await apiGet(`${url}/api/v1/namespaces/default`, token)).status === 200, readyTimeoutMs);
    const kubeconfigPath = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfigPath, kubeconfigText(url, token), { mode: 0o600 });
    return {
      url,
      token,
      kubeconfigPath,
      kubeConfig(server = url) {
        const config = new KubeConfig();
        config.loadFromString(kubeconfigText(server, token));
        return config;
      },
      get: (pathAndQuery) => apiGet(`${url}${pathAndQuery}`, token),
      writeKubeconfig(file, server = url) {
        fs.writeFileSync(file, kubeconfigText(server, token), { mode: 0o600 });
        return file;
      },
      async requestCount(verb, resource) {
        const { body } = await apiGet(`${url}/metrics`, token);
        let total = 0;
        for (const line of body.split("\n")) {
          if (!line.startsWith("apiserver_request_total{")) continue;
          if (line.includes(`verb="${verb}"`) && line.includes(`resource="${resource}"`)) total += Number(line.slice(line.lastIndexOf(" ") + 1));
        }
        return total;
      },
      async compact() {
        const status = await etcdPost<{ header: { revision: string } }>(etcdUrl, "/v3/maintenance/status", {});
        const revision = Number(status.header.revision);
        await etcdPost(etcdUrl, "/v3/kv/compaction", { revision, physical: true });
        return revision;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A TCP proxy in front of a server (TLS passes through untouched). `hold()` cuts every
 * connection and keeps new ones waiting, unanswered, until `release()`: a network
 * partition between a client and its API server, during which the test changes things.
 */
export interface PartitionProxy {
  readonly url: string;
  /** Connections made through the proxy so far. */
  connections(): number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startPartitionProxy(target: string): Promise<PartitionProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<net.Socket>();
  let held: net.Socket[] = [];
  let holding = false;
  let accepted = 0;
  const connect = (client: net.Socket) => {
    const upstream = net.connect(Number(port), hostname);
    open.add(client).add(upstream);
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", forget).on("close", forget);
    upstream.on("error", forget).on("close", forget);
    client.pipe(upstream).pipe(client);
  };
  const server = net.createServer((client) => {
    accepted += 1;
    client.on("error", () => client.destroy());
    if (holding) held.push(client);
    else connect(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: proxyPort } = server.address() as net.AddressInfo;
  return {
    url: `https://127.0.0.1:${proxyPort}`,
    connections: () => accepted,
    hold() {
      holding = true;
      for (const socket of open) socket.destroy();
    },
    release() {
      holding = false;
      const waiting = held.filter((socket) => !socket.destroyed);
      held = [];
      for (const client of waiting) connect(client);
    },
    async close() {
      for (const socket of [...open, ...held]) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
