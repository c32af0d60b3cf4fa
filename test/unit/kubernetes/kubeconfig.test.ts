import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectKubeConfig, KubeConfigError } from "../../../server/runtime/kubernetes/kubeconfig";

const kubeconfig = (server: string, context = "dev") => `apiVersion: v1
kind: Config
clusters:
- name: ${context}-cluster
  cluster:
    server: ${server}
users:
- name: ${context}-user
  user:
    token: not-a-real-token
contexts:
- name: ${context}
  context:
    cluster: ${context}-cluster
    user: ${context}-user
current-context: ${context}
`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-kubeconfig-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("detectKubeConfig", () => {
  it("returns undefined when there is no kubeconfig and no in-cluster credentials (demo fallback)", () => {
    expect(detectKubeConfig({ env: { HOME: dir }, serviceAccountDir: path.join(dir, "sa") })).toBeUndefined();
  });

  it("reads the files named by KUBECONFIG first, skipping missing ones", () => {
    const file = path.join(dir, "config-a");
    fs.writeFileSync(file, kubeconfig("https://a.example:6443", "a"));
    fs.mkdirSync(path.join(dir, ".kube"));
    fs.writeFileSync(path.join(dir, ".kube", "config"), kubeconfig("https://home.example:6443", "home"));
    const found = detectKubeConfig({ env: { HOME: dir, KUBECONFIG: `${path.join(dir, "missing")}${path.delimiter}${file}` } });
    expect(found).toMatchObject({ origin: "KUBECONFIG", location: file, server: "https://a.example:6443", context: "a" });
  });

  it("falls back to ~/.kube/config", () => {
    fs.mkdirSync(path.join(dir, ".kube"));
    fs.writeFileSync(path.join(dir, ".kube", "config"), kubeconfig("https://home.example:6443", "home"));
    const found = detectKubeConfig({ env: { HOME: dir } });
    expect(found).toMatchObject({ origin: "default-file", server: "https://home.example:6443", context: "home" });
    expect(found?.kubeConfig.getCurrentUser()?.name).toBe("home-user");
  });

  it("uses the service account when running in a cluster", () => {
    const sa = path.join(dir, "sa");
    fs.mkdirSync(sa);
    fs.writeFileSync(path.join(sa, "token"), "token");
    fs.writeFileSync(path.join(sa, "namespace"), "loopscope\n");
    const found = detectKubeConfig({
      env: { HOME: dir, KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
      serviceAccountDir: sa,
    });
    expect(found).toMatchObject({ origin: "in-cluster", server: "https://10.96.0.1:443", context: "inClusterContext" });
    expect(found?.kubeConfig.getContextObject("inClusterContext")?.namespace).toBe("loopscope");
    // Host and port alone (no token) are not in-cluster credentials.
    fs.rmSync(path.join(sa, "token"));
    expect(detectKubeConfig({ env: { HOME: dir, KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, serviceAccountDir: sa })).toBeUndefined();
  });

  it("says what is wrong with a kubeconfig that exists but cannot be used", () => {
    const file = path.join(dir, "broken");
    fs.writeFileSync(file, kubeconfig("https://a.example:6443").replace("current-context: dev", "current-context: nowhere"));
    expect(() => detectKubeConfig({ env: { HOME: dir, KUBECONFIG: file } })).toThrow(KubeConfigError);
    expect(() => detectKubeConfig({ env: { HOME: dir, KUBECONFIG: file } })).toThrow(/no usable current context \("nowhere"\)/);
  });
});
