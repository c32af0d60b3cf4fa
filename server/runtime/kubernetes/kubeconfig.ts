import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { log } from "../../log";

/** Where the cluster credentials came from. */
export type KubeConfigOrigin = "KUBECONFIG" | "default-file" | "in-cluster";

export interface DetectedCluster {
  kubeConfig: KubeConfig;
  origin: KubeConfigOrigin;
  /** The file(s) read, or the service-account folder for in-cluster. */
  location: string;
  /** The API server URL of the current context. */
  server: string;
  context: string;
}

export interface KubeConfigDetectionOptions {
  /** Environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_* from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Folder holding the service account's token, ca.crt and namespace. */
  serviceAccountDir?: string;
}

export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeConfigError";
  }
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function fileExists(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function describe(kubeConfig: KubeConfig, origin: KubeConfigOrigin, location: string): DetectedCluster {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new KubeConfigError(
      `The kubeconfig at ${location} has no usable current context ("${kubeConfig.getCurrentContext()}"); set current-context or choose one with kubectl config use-context.`,
    );
  }
  return { kubeConfig, origin, location, server: cluster.server, context: kubeConfig.getCurrentContext() };
}

function loadFiles(files: string[]): KubeConfig {
  const kubeConfig = new KubeConfig();
  files.forEach((file, index) => {
    try {
      if (index === 0) {
        kubeConfig.loadFromFile(file);
      } else {
        const extra = new KubeConfig();
        extra.loadFromFile(file);
        kubeConfig.mergeConfig(extra, true);
      }
    } catch (error) {
      throw new KubeConfigError(`Cannot read the kubeconfig ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return kubeConfig;
}

/** The same configuration `loadFromCluster` builds, from the given environment instead of process.env. */
function inClusterConfig(host: string, port: string, dir: string): KubeConfig {
  const scheme = port === "80" || port === "8080" || port === "8001" ? "http" : "https";
  const serverHost = net.isIPv6(host) ? `[${host}]` : host;
  const namespaceFile = path.join(dir, "namespace");
  const namespace = fileExists(namespaceFile) ? fs.readFileSync(namespaceFile, "utf8").trim() : undefined;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "inCluster", server: `${scheme}://${serverHost}:${port}`, caFile: path.join(dir, "ca.crt"), skipTLSVerify: false }],
    users: [{ name: "inClusterUser", authProvider: { name: "tokenFile", config: { tokenFile: path.join(dir, "token") } } }],
    contexts: [{ name: "inClusterContext", cluster: "inCluster", user: "inClusterUser", namespace }],
    currentContext: "inClusterContext",
  });
  return kubeConfig;
}

/**
 * Finds cluster credentials the way kubectl and client-go do, in order: the files in
 * `KUBECONFIG`, `~/.kube/config`, then in-cluster service-account credentials.
 * Returns undefined when there are none, so the caller can fall back to the demo
 * cluster. Throws KubeConfigError when a kubeconfig exists but cannot be used.
 */
export function detectKubeConfig(options: KubeConfigDetectionOptions = {}): DetectedCluster | undefined {
  const env = options.env ?? process.env;
  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter((file) => file !== "");
  if (listed.length > 0) {
    const present = listed.filter(fileExists);
    const missing = listed.filter((file) => !present.includes(file));
    if (missing.length > 0) log.warn({ missing }, "KUBECONFIG names files that do not exist; they are skipped");
    if (present.length > 0) return describe(loadFiles(present), "KUBECONFIG", present.join(path.delimiter));
  }
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  const defaultFile = path.join(home, ".kube", "config");
  if (fileExists(defaultFile)) return describe(loadFiles([defaultFile]), "default-file", defaultFile);
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (host && port && fileExists(path.join(dir, "token"))) return describe(inClusterConfig(host, port, dir), "in-cluster", dir);
  return undefined;
}
