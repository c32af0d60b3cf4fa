import fs from "node:fs";
import path from "node:path";
import { loadAllYaml } from "@kubernetes/client-node";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { loadAuthSettings } from "../../../server/auth/settings";
import { configSchema, loadConfig } from "../../../server/config";
import { parseWatchKinds } from "../../../server/runtime/kubernetes/kinds";
import { apiRoute } from "../../../server/http/api-routes";
import { testServices } from "../../support/services";

/**
 * The image cannot be built here (no registry for base images), so these checks keep
 * deploy/ and the Dockerfile consistent with the code: RBAC covers what the app calls,
 * probes and the ServiceMonitor point at real routes and ports, every env var is one
 * the config knows, and the pod runs as the image's non-root user.
 */

const root = path.resolve(import.meta.dirname, "../../..");
const deployDir = path.join(root, "deploy");

// Plain JSON objects (client-node deserializes known kinds into its model classes).
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
type Doc = Record<string, any>;

function load(file: string): Doc[] {
  return loadAllYaml(fs.readFileSync(path.join(deployDir, file), "utf8")).map((doc) => JSON.parse(JSON.stringify(doc)) as Doc);
}

const kustomization = load("kustomization.yaml")[0];
const docs: Doc[] = (kustomization.resources as string[]).flatMap(load);
const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
const one = (kind: string) => {
  const found = ofKind(kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};

const deployment = one("Deployment");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const env = new Map<string, Doc>((container.env as Doc[]).map((e) => [e.name, e]));
const namespace: string = kustomization.namespace;

/** Does any (Cluster)Role bound to the ServiceAccount grant `verb` on group/resource (in `ns`, or cluster-wide)? */
function granted(verb: string, group: string, resource: string, ns: string | undefined, resourceName?: string): boolean {
  const sa = pod.serviceAccountName;
  const bindings = [...ofKind("ClusterRoleBinding"), ...ofKind("RoleBinding")].filter((b) =>
    (b.subjects as Doc[]).some((s) => s.kind === "ServiceAccount" && s.name === sa && (s.namespace ?? b.metadata.namespace) === namespace),
  );
  return bindings.some((binding) => {
    if (binding.kind === "RoleBinding" && binding.metadata.namespace !== ns) return false;
    const role = docs.find((d) => d.kind === binding.roleRef.kind && d.metadata.name === binding.roleRef.name);
    if (!role) return false;
    return (role.rules as Doc[]).some(
      (rule) =>
        (rule.apiGroups as string[]).includes(group) &&
        (rule.resources as string[]).includes(resource) &&
        ((rule.verbs as string[]).includes(verb) || (rule.verbs as string[]).includes("*")) &&
        (!rule.resourceNames || (resourceName !== undefined && (rule.resourceNames as string[]).includes(resourceName))),
    );
  });
}

describe("deploy/ manifests", () => {
  it("kustomization lists every manifest (examples excepted) and each parses", () => {
    const files = fs.readdirSync(deployDir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml" && !f.endsWith(".example.yaml"));
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const kind of ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service", "ServiceMonitor"]) {
      expect(ofKind(kind).length, kind).toBeGreaterThan(0);
    }
    expect(one("Namespace").metadata.name).toBe(namespace);
    expect(one("ServiceAccount").metadata.name).toBe(pod.serviceAccountName);
  });

  it("the ClusterRole grants get/list/watch on every watched kind", () => {
    const kinds = parseWatchKinds(env.get("LOOPSCOPE_WATCH_KINDS")?.value ?? configSchema.shape.LOOPSCOPE_WATCH_KINDS.parse(undefined));
    expect(kinds.map((k) => k.name)).toEqual(["pods", "deployments", "nodes"]);
    for (const kind of kinds) {
      for (const verb of ["get", "list", "watch"]) expect(granted(verb, kind.group, kind.name, undefined), `${verb} ${kind.name}`).toBe(true);
    }
    // Read-only: nothing may write the watched kinds.
    for (const role of ofKind("ClusterRole")) {
      for (const rule of role.rules as Doc[]) expect((rule.verbs as string[]).filter((v) => !["get", "list", "watch"].includes(v))).toEqual([]);
    }
  });

  it("leader election may get, create and update its Lease in the pod's namespace", () => {
    expect(env.get("LOOPSCOPE_LEADER_ELECTION")?.value).toMatch(/^(on|auto)$/);
    const leaseName = env.get("LOOPSCOPE_LEASE_NAME")?.value ?? "loopscope";
    const leaseNamespace = env.get("LOOPSCOPE_LEASE_NAMESPACE");
    expect(leaseNamespace?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.namespace");
    for (const verb of ["get", "create", "update"]) {
      expect(granted(verb, "coordination.k8s.io", "leases", namespace, leaseName), verb).toBe(true);
    }
    expect(granted("update", "coordination.k8s.io", "leases", namespace, "someone-elses-lease")).toBe(false);
  });

  it("runs two replicas with a unique identity each (POD_NAME from the downward API)", () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(env.get("POD_NAME")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
  });

  it("probes point at the health routes on the container's port", () => {
    const portName = container.ports[0].name;
    expect(container.livenessProbe.httpGet).toEqual({ path: "/api/healthz", port: portName });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/api/readyz", port: portName });
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(apiRoute(testServices(), probe.httpGet.path), probe.httpGet.path).toBeDefined();
    }
  });

  it("the container port is PORT, the Service targets it and the ServiceMonitor scrapes /metrics on the Service's port", () => {
    const port = container.ports[0];
    expect(port.containerPort).toBe(Number(env.get("PORT")?.value ?? configSchema.shape.PORT.parse(undefined)));
    const service = one("Service");
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    expect(service.spec.ports[0].targetPort).toBe(port.name);
    const monitor = one("ServiceMonitor");
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.namespaceSelector.matchNames).toContain(namespace);
    const endpoint = monitor.spec.endpoints[0];
    expect((service.spec.ports as Doc[]).map((p) => p.name)).toContain(endpoint.port);
    expect(apiRoute(testServices(), endpoint.path), endpoint.path).toBeDefined();
  });

  it("every env var is a setting the config knows, and the literal values are valid", () => {
    const known = Object.keys(configSchema.shape);
    for (const name of env.keys()) expect(known, name).toContain(name);
    // The literal values (secrets replaced by valid stand-ins) pass loadConfig.
    const values: Record<string, string> = {};
    for (const [name, entry] of env) if (typeof entry.value === "string") values[name] = entry.value;
    values.DATABASE_URL = "postgresql://u:p@db:5432/loopscope";
    values.LOOPSCOPE_SECRET_KEY = "ab".repeat(32);
    values.LOOPSCOPE_SESSION_KEY = "cd".repeat(32);
    values.LOOPSCOPE_LEASE_NAMESPACE = namespace;
    values.POD_NAME = "loopscope-0";
    values.LOOPSCOPE_ADMIN_PASSWORD_HASH = bcrypt.hashSync("a test password", 4);
    const config = loadConfig(values, "/app");
    // Bound to all interfaces, so the pod must come up with authentication on (it refuses to start otherwise).
    expect(config.HOST).toBe("0.0.0.0");
    expect(loadAuthSettings(config).mode).toBe("password");
  });

  it("secrets come from one Secret whose keys the example documents", () => {
    const example = load("secret.example.yaml")[0];
    for (const entry of env.values()) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (!ref) continue;
      expect(ref.name).toBe(example.metadata.name);
      expect(Object.keys(example.stringData)).toContain(ref.key);
    }
    expect(env.get("DATABASE_URL")?.valueFrom?.secretKeyRef).toBeDefined();
    expect(env.get("LOOPSCOPE_SECRET_KEY")?.valueFrom?.secretKeyRef).toBeDefined();
  });

  it("runs non-root on a read-only root filesystem with writable /tmp and .next/cache", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    const mounts = (container.volumeMounts as Doc[]).map((m) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(["/tmp", "/app/.next/cache"]));
    expect(env.get("LOOPSCOPE_DATA_DIR")?.value).toMatch(/^\/tmp\//);
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
  });
});

describe("Dockerfile", () => {
  const dockerfile = fs.readFileSync(path.join(root, "Dockerfile"), "utf8");
  const dockerignore = fs.readFileSync(path.join(root, ".dockerignore"), "utf8").split("\n");

  it("is multi-stage, ships Next's standalone build and runs the custom server as the manifests' non-root user", () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/\.next\/standalone/);
    const nextConfig = fs.readFileSync(path.join(root, "next.config.ts"), "utf8");
    expect(nextConfig).toMatch(/output:\s*"standalone"/);
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(dockerfile);
    expect(Number(user?.[1])).toBe(pod.securityContext.runAsUser);
    expect(Number(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1])).toBe(container.ports[0].containerPort);
    expect(dockerfile).toMatch(/^CMD \["node", "--import", "tsx", "scripts\/start\.ts"\]$/m);
    // Every file the runtime stage copies from the build context exists.
    for (const match of dockerfile.matchAll(/^COPY --from=build ((?:\/app\/\S+ )+)/gm)) {
      for (const source of match[1].trim().split(" ")) {
        expect(fs.existsSync(path.join(root, source.replace(/^\/app\//, "")))
          || source.startsWith("/app/.next/"), source).toBe(true);
      }
    }
  });

  it("keeps local state and build output out of the build context", () => {
    for (const entry of ["node_modules", ".next", ".data", ".git"]) expect(dockerignore).toContain(entry);
  });
});
