import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * A loopback Kubernetes API server for tests. It speaks the list/watch protocol the
 * way kube-apiserver does (one resourceVersion counter for everything, list returns
 * the collection's resourceVersion, `?watch=true&resourceVersion=N` replays the
 * history after N then streams JSON lines, a resourceVersion older than the last
 * compaction is answered with an ERROR 410 Expired event), plus create/replace with
 * optimistic concurrency (409 Conflict on a stale resourceVersion) for every kind, so
 * the leases of leader election work too. Tests drive it: add/update/delete objects,
 * expire, drop, fail or stall watches, and read the request log.
 */

/** The resource types this server knows, by plural name. */
export const FIXTURE_RESOURCES = {
  pods: { group: "", version: "v1", kind: "Pod", namespaced: true },
  services: { group: "", version: "v1", kind: "Service", namespaced: true },
  namespaces: { group: "", version: "v1", kind: "Namespace", namespaced: false },
  nodes: { group: "", version: "v1", kind: "Node", namespaced: false },
  deployments: { group: "apps", version: "v1", kind: "Deployment", namespaced: true },
  replicasets: { group: "apps", version: "v1", kind: "ReplicaSet", namespaced: true },
  statefulsets: { group: "apps", version: "v1", kind: "StatefulSet", namespaced: true },
  daemonsets: { group: "apps", version: "v1", kind: "DaemonSet", namespaced: true },
  jobs: { group: "batch", version: "v1", kind: "Job", namespaced: true },
  leases: { group: "coordination.k8s.io", version: "v1", kind: "Lease", namespaced: true },
} as const;

export type FixtureKind = keyof typeof FIXTURE_RESOURCES;

/** An object as the test hands it in: at least `metadata.name` (and `namespace` for namespaced kinds). */
export interface FixtureObjectInput {
  metadata: { name: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** An object as stored and served: apiVersion, kind, uid, creationTimestamp and resourceVersion filled in. */
export interface FixtureObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface FixtureRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The kind the request was for, when it named one. */
  kind?: string;
  watch: boolean;
  /** The status answered (200 for a watch that was streamed). */
  status?: number;
  at: number;
}

export interface WriteOptions {
  /**
   * Change the object without telling open watches, as if the watch missed the event
   * and the history was compacted since. Use it before `expireWatches()` to make the
   * client learn of the change only from its re-list.
   */
  silent?: boolean;
}

export interface FailureOptions {
  /** Only requests for this kind (default: any kind). */
  kind?: FixtureKind;
  /** How many requests to fail (default 1). */
  times?: number;
}

export interface ApiServerFixture {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** The bearer token every request must carry. */
  readonly token: string;
  /** Every request received, in order. */
  readonly requests: readonly FixtureRequest[];
  /** A KubeConfig (loadFromOptions) pointing at this server with its token. */
  kubeConfig(): KubeConfig;
  add(kind: FixtureKind, object: FixtureObjectInput, options?: WriteOptions): FixtureObject;
  update(kind: FixtureKind, object: FixtureObjectInput, options?: WriteOptions): FixtureObject;
  /** Deletes by object or by key ("namespace/name", or "name" for cluster-scoped kinds). */
  delete(kind: FixtureKind, target: FixtureObjectInput | string, options?: WriteOptions): FixtureObject;
  get(kind: FixtureKind, key: string): FixtureObject | undefined;
  list(kind: FixtureKind): FixtureObject[];
  /** The current resourceVersion of the whole store. */
  resourceVersion(): number;
  /**
   * Compacts the history: open watches (of one kind, if given) receive ERROR 410
   * (Status Expired) and end; older resourceVersions are refused with 410 from now on.
   */
  expireWatches(kind?: FixtureKind): void;
  /** Destroys the socket of every open watch (of one kind, if given) without a final chunk: an abrupt disconnect. */
  dropWatches(kind?: FixtureKind): void;
  /** Ends every open watch (of one kind, if given) cleanly, as the API server does when a watch's timeout elapses. */
  closeWatches(kind?: FixtureKind): void;
  /** Sends a BOOKMARK with the current resourceVersion to every open watch (of one kind, if given). */
  bookmark(kind?: FixtureKind): void;
  /** Answers the next watch request(s) with this HTTP status and a Status body. */
  failNextWatch(status: number, options?: FailureOptions): void;
  /** Answers the next list request(s) with this HTTP status and a Status body. */
  failNextList(status: number, options?: FailureOptions): void;
  /**
   * Goes silent: every open watch stops receiving anything, forever (a half-dead
   * connection that stays open), and every request arriving in the next `ms` is held
   * unanswered until the stall ends.
   */
  stall(ms: number): void;
  /** Open (streaming, not frozen) watches, of one kind if given. */
  openWatches(kind?: FixtureKind): number;
  /** Watch requests that were answered with a stream, of one kind if given. */
  watchesServed(kind?: FixtureKind): number;
  close(): Promise<void>;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED";

interface HistoryEntry {
  rv: number;
  type: EventType;
  object: FixtureObject;
}

interface WatchConnection {
  kind: FixtureKind;
  namespace: string | undefined;
  res: http.ServerResponse;
  frozen: boolean;
}

interface Route {
  kind: FixtureKind;
  namespace: string | undefined;
  name: string | undefined;
}

interface PendingFailure {
  verb: "watch" | "list";
  status: number;
  kind: FixtureKind | undefined;
  remaining: number;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

function statusBody(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

function isKind(value: string): value is FixtureKind {
  return Object.hasOwn(FIXTURE_RESOURCES, value);
}

function apiVersionOf(kind: FixtureKind): string {
  const { group, version } = FIXTURE_RESOURCES[kind];
  return group ? `${group}/${version}` : version;
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function parseRoute(pathname: string): Route | undefined {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 2) {
    group = "";
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, ...extra] = rest;
  if (!plural || extra.length > 0 || !isKind(plural)) return undefined;
  const type = FIXTURE_RESOURCES[plural];
  if (type.group !== group || type.version !== version) return undefined;
  if (namespace !== undefined && !type.namespaced) return undefined;
  return { kind: plural, namespace, name };
}

async function readJson(req: http.IncomingMessage): Promise<FixtureObjectInput> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > 1_000_000) throw new HttpError(413, "RequestEntityTooLarge", "request body over 1 MB");
    chunks.push(buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "BadRequest", "request body is not JSON");
  }
  if (typeof body !== "object" || body === null) throw new HttpError(400, "BadRequest", "request body is not an object");
  const metadata = (body as { metadata?: unknown }).metadata;
  if (typeof metadata !== "object" || metadata === null || typeof (metadata as { name?: unknown }).name !== "string") {
    throw new HttpError(400, "BadRequest", "metadata.name is required");
  }
  return body as FixtureObjectInput;
}

/** Starts the fixture on 127.0.0.1 with an ephemeral port. */
export async function startApiServerFixture(): Promise<ApiServerFixture> {
  const token = `fixture-${randomUUID()}`;
  const objects = new Map<FixtureKind, Map<string, FixtureObject>>();
  const history = new Map<FixtureKind, HistoryEntry[]>();
  const watches = new Set<WatchConnection>();
  const served = new Map<FixtureKind, number>();
  const failures: PendingFailure[] = [];
  const continues = new Map<string, FixtureObject[]>();
  const requests: FixtureRequest[] = [];
  let rv = 1000;
  let compactedRv = 0;
  let stalledUntil = 0;

  const store = (kind: FixtureKind) => {
    let map = objects.get(kind);
    if (!map) {
      map = new Map();
      objects.set(kind, map);
    }
    return map;
  };

  const send = (connection: WatchConnection, event: unknown) => {
    if (connection.frozen || connection.res.destroyed || connection.res.writableEnded) return;
    connection.res.write(`${JSON.stringify(event)}\n`);
  };

  const matches = (connection: WatchConnection, object: FixtureObject) =>
    connection.namespace === undefined || connection.namespace === object.metadata.namespace;

  const publish = (kind: FixtureKind, type: EventType, object: FixtureObject, silent: boolean) => {
    const entries = history.get(kind) ?? [];
    entries.push({ rv: Number(object.metadata.resourceVersion), type, object });
    history.set(kind, entries);
    if (silent) {
      // The watch "missed" it: open watches never see it, and neither will a resume
      // from an older resourceVersion, because the history up to here is compacted.
      compactedRv = rv;
      history.set(kind, []);
      return;
    }
    for (const connection of watches) {
      if (connection.kind === kind && matches(connection, object)) send(connection, { type, object });
    }
  };

  const normalise = (kind: FixtureKind, input: FixtureObjectInput, previous?: FixtureObject): FixtureObject => {
    const type = FIXTURE_RESOURCES[kind];
    const namespace = type.namespaced ? (input.metadata.namespace ?? "default") : undefined;
    rv += 1;
    const metadata: FixtureObject["metadata"] = {
      ...structuredClone(input.metadata),
      name: input.metadata.name,
      uid: previous?.metadata.uid ?? (typeof input.metadata.uid === "string" ? input.metadata.uid : randomUUID()),
      creationTimestamp:
        previous?.metadata.creationTimestamp ??
        (typeof input.metadata.creationTimestamp === "string" ? input.metadata.creationTimestamp : new Date().toISOString()),
      resourceVersion: String(rv),
    };
    if (namespace !== undefined) metadata.namespace = namespace;
    else delete metadata.namespace;
    return { ...structuredClone(input), apiVersion: apiVersionOf(kind), kind: type.kind, metadata };
  };

  const inputKey = (kind: FixtureKind, input: FixtureObjectInput) =>
    keyOf(FIXTURE_RESOURCES[kind].namespaced ? (input.metadata.namespace ?? "default") : undefined, input.metadata.name);

  const create = (kind: FixtureKind, input: FixtureObjectInput, silent = false): FixtureObject => {
    const key = inputKey(kind, input);
    if (store(kind).has(key)) throw new HttpError(409, "AlreadyExists", `${kind} "${key}" already exists`);
    const object = normalise(kind, input);
    store(kind).set(key, object);
    publish(kind, "ADDED", object, silent);
    return object;
  };

  const replace = (kind: FixtureKind, input: FixtureObjectInput, silent = false, checkVersion = false): FixtureObject => {
    const key = inputKey(kind, input);
    const previous = store(kind).get(key);
    if (!previous) throw new HttpError(404, "NotFound", `${kind} "${key}" not found`);
    const expected = input.metadata.resourceVersion;
    if (checkVersion && expected !== undefined && expected !== previous.metadata.resourceVersion) {
      throw new HttpError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${kind} "${input.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const object = normalise(kind, input, previous);
    store(kind).set(key, object);
    publish(kind, "MODIFIED", object, silent);
    return object;
  };

  const remove = (kind: FixtureKind, key: string, silent = false): FixtureObject => {
    const previous = store(kind).get(key);
    if (!previous) throw new HttpError(404, "NotFound", `${kind} "${key}" not found`);
    store(kind).delete(key);
    rv += 1;
    const object: FixtureObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    publish(kind, "DELETED", object, silent);
    return object;
  };

  const takeFailure = (verb: PendingFailure["verb"], kind: FixtureKind): number | undefined => {
    const index = failures.findIndex((f) => f.verb === verb && (f.kind === undefined || f.kind === kind));
    if (index < 0) return undefined;
    const failure = failures[index];
    failure.remaining -= 1;
    if (failure.remaining <= 0) failures.splice(index, 1);
    return failure.status;
  };

  const inScope = (route: Route) => (object: FixtureObject) =>
    route.namespace === undefined || object.metadata.namespace === route.namespace;

  const answerList = (route: Route, query: URLSearchParams, res: http.ServerResponse) => {
    const limit = Number(query.get("limit") ?? "0");
    const token = query.get("continue");
    let remaining: FixtureObject[];
    if (token) {
      const pending = continues.get(token);
      if (!pending) throw new HttpError(410, "Expired", "The provided continue parameter is too old to display a consistent list result.");
      continues.delete(token);
      remaining = pending;
    } else {
      remaining = [...store(route.kind).values()].filter(inScope(route));
      remaining.sort((a, b) => keyOf(a.metadata.namespace, a.metadata.name).localeCompare(keyOf(b.metadata.namespace, b.metadata.name)));
    }
    const page = limit > 0 ? remaining.slice(0, limit) : remaining;
    const rest = limit > 0 ? remaining.slice(limit) : [];
    const metadata: Record<string, string> = { resourceVersion: String(rv) };
    if (rest.length > 0) {
      const next = randomUUID();
      continues.set(next, rest);
      metadata.continue = next;
    }
    const type = FIXTURE_RESOURCES[route.kind];
    const body = { apiVersion: apiVersionOf(route.kind), kind: `${type.kind}List`, metadata, items: page };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const answerWatch = (route: Route, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    served.set(route.kind, (served.get(route.kind) ?? 0) + 1);
    const connection: WatchConnection = { kind: route.kind, namespace: route.namespace, res, frozen: false };
    const since = query.get("resourceVersion") ?? "";
    const fromRv = Number(since);
    if (since !== "" && since !== "0" && (!Number.isFinite(fromRv) || fromRv < compactedRv)) {
      send(connection, {
        type: "ERROR",
        object: statusBody(410, "Expired", `too old resource version: ${since} (${compactedRv})`),
      });
      res.end();
      return;
    }
    if (since === "" || since === "0") {
      for (const object of store(route.kind).values()) {
        if (matches(connection, object)) send(connection, { type: "ADDED", object });
      }
    } else {
      for (const entry of history.get(route.kind) ?? []) {
        if (entry.rv > fromRv && matches(connection, entry.object)) send(connection, { type: entry.type, object: entry.object });
      }
    }
    watches.add(connection);
    const timeoutSeconds = Number(query.get("timeoutSeconds") ?? "0");
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    const forget = () => {
      if (timer) clearTimeout(timer);
      watches.delete(connection);
    };
    res.on("close", forget);
    req.on("close", forget);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, record: FixtureRequest) => {
    if (req.headers.authorization !== `Bearer ${token}`) throw new HttpError(401, "Unauthorized", "Unauthorized");
    const url = new URL(req.url ?? "/", "http://fixture");
    const route = parseRoute(url.pathname);
    if (!route) throw new HttpError(404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
    record.kind = route.kind;
    const type = FIXTURE_RESOURCES[route.kind];
    const method = req.method ?? "GET";
    if (method === "GET" && route.name === undefined) {
      const isWatch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
      record.watch = isWatch;
      const failure = takeFailure(isWatch ? "watch" : "list", route.kind);
      if (failure !== undefined) {
        throw new HttpError(failure, STATUS_REASONS[failure] ?? "InternalError", `injected failure ${failure}`);
      }
      if (isWatch) answerWatch(route, url.searchParams, req, res);
      else answerList(route, url.searchParams, res);
      record.status = 200;
      return;
    }
    if (method === "GET") {
      const key = keyOf(route.namespace, route.name ?? "");
      const object = store(route.kind).get(key);
      if (!object) throw new HttpError(404, "NotFound", `${route.kind} "${route.name}" not found`);
      return json(res, 200, object, record);
    }
    if (method === "POST" && route.name === undefined) {
      const body = await readJson(req);
      if (type.namespaced) body.metadata.namespace = route.namespace ?? body.metadata.namespace;
      return json(res, 201, create(route.kind, body), record);
    }
    if (method === "PUT" && route.name !== undefined) {
      const body = await readJson(req);
      if (body.metadata.name !== route.name) throw new HttpError(400, "BadRequest", "metadata.name does not match the URL");
      if (type.namespaced) body.metadata.namespace = route.namespace;
      return json(res, 200, replace(route.kind, body, false, true), record);
    }
    if (method === "DELETE" && route.name !== undefined) {
      return json(res, 200, remove(route.kind, keyOf(route.namespace, route.name)), record);
    }
    throw new HttpError(405, "MethodNotAllowed", `${method} is not supported on ${url.pathname}`);
  };

  const json = (res: http.ServerResponse, status: number, body: unknown, record: FixtureRequest) => {
    record.status = status;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fixture");
    const record: FixtureRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      watch: false,
      at: Date.now(),
    };
    requests.push(record);
    const run = async () => {
      const wait = stalledUntil - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (req.socket.destroyed || res.destroyed) return;
      await handle(req, res, record);
    };
    run().catch((error: unknown) => {
      const failure =
        error instanceof HttpError ? error : new HttpError(500, "InternalError", error instanceof Error ? error.message : String(error));
      if (res.headersSent || res.destroyed) return;
      json(res, failure.code, statusBody(failure.code, failure.reason, failure.message), record);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    requests,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: "fixture", server: url, skipTLSVerify: true }],
        users: [{ name: "fixture-user", token }],
        contexts: [{ name: "fixture", cluster: "fixture", user: "fixture-user" }],
        currentContext: "fixture",
      });
      return kc;
    },
    add: (kind, object, options) => create(kind, object, options?.silent),
    update: (kind, object, options) => replace(kind, object, options?.silent),
    delete(kind, target, options) {
      const key = typeof target === "string" ? target : inputKey(kind, target);
      return remove(kind, key, options?.silent);
    },
    get: (kind, key) => store(kind).get(key),
    list: (kind) => [...store(kind).values()],
    resourceVersion: () => rv,
    expireWatches(kind) {
      compactedRv = rv;
      history.clear();
      for (const connection of [...watches]) {
        if (kind !== undefined && connection.kind !== kind) continue;
        send(connection, { type: "ERROR", object: statusBody(410, "Expired", "The resourceVersion for the provided watch is too old.") });
        if (!connection.frozen) connection.res.end();
        watches.delete(connection);
      }
    },
    dropWatches(kind) {
      for (const connection of [...watches]) {
        if (kind !== undefined && connection.kind !== kind) continue;
        connection.res.socket?.destroy();
        watches.delete(connection);
      }
    },
    closeWatches(kind) {
      for (const connection of [...watches]) {
        if (kind !== undefined && connection.kind !== kind) continue;
        if (!connection.frozen) connection.res.end();
        watches.delete(connection);
      }
    },
    bookmark(kind) {
      for (const connection of watches) {
        if (kind !== undefined && connection.kind !== kind) continue;
        send(connection, {
          type: "BOOKMARK",
          object: { apiVersion: apiVersionOf(connection.kind), kind: FIXTURE_RESOURCES[connection.kind].kind, metadata: { resourceVersion: String(rv) } },
        });
      }
    },
    failNextWatch(status, options) {
      failures.push({ verb: "watch", status, kind: options?.kind, remaining: options?.times ?? 1 });
    },
    failNextList(status, options) {
      failures.push({ verb: "list", status, kind: options?.kind, remaining: options?.times ?? 1 });
    },
    stall(ms) {
      for (const connection of watches) connection.frozen = true;
      stalledUntil = Math.max(stalledUntil, Date.now() + ms);
    },
    openWatches(kind) {
      let count = 0;
      for (const connection of watches) if (!connection.frozen && (kind === undefined || connection.kind === kind)) count += 1;
      return count;
    },
    watchesServed(kind) {
      if (kind !== undefined) return served.get(kind) ?? 0;
      let total = 0;
      for (const count of served.values()) total += count;
      return total;
    },
    async close() {
      stalledUntil = 0;
      for (const connection of watches) connection.res.socket?.destroy();
      watches.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Polls until `condition` holds (a liveness bound for asynchronous effects, not a
 * timing assertion): resolves with its first truthy value, or fails after `timeoutMs`
 * with `what` and the last value seen.
 */
export async function waitUntil<T>(
  what: string,
  condition: () => T | undefined | null | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
}
