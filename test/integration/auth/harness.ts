import http from "node:http";
import type { AddressInfo } from "node:net";
import * as healthz from "../../../app/api/healthz/route";
import * as apiMetrics from "../../../app/api/metrics/route";
import * as readyz from "../../../app/api/readyz/route";
import * as trpcRoute from "../../../app/api/trpc/[trpc]/route";
import * as metrics from "../../../app/metrics/route";
import { createAuthService } from "../../../server/auth";
import type { AuthService } from "../../../server/auth/auth-service";
import { loadAuthSettings } from "../../../server/auth/settings";
import { loadConfig } from "../../../server/config";
import { createRequestGate } from "../../../server/http/request-gate";
import { provideService, withdrawService } from "../../../server/service-registry";
import { appRouter } from "../../../server/trpc/root";

/**
 * The real HTTP front of Loopscope in-process: the request gate of server/main.ts in front of
 * the real route handlers (tRPC, metrics, health); other paths answer like a page.
 */
export interface AuthHarness {
  url: string;
  auth: AuthService;
  close(): Promise<void>;
}

type RouteHandler = (request: Request) => Response | Promise<Response>;
const ROUTES: Record<string, RouteHandler> = {
  "/metrics": metrics.GET,
  "/api/metrics": apiMetrics.GET,
  "/api/healthz": healthz.GET,
  "/api/readyz": readyz.GET,
};

async function toRequest(req: http.IncomingMessage, base: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", base), { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
}

async function send(res: http.ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  res.end(Buffer.from(await response.arrayBuffer()));
}

export async function startHarness(env: Record<string, string>, dataDir: string): Promise<AuthHarness> {
  const config = loadConfig({ ...env, LOOPSCOPE_DATA_DIR: dataDir });
  const auth = createAuthService(loadAuthSettings(config), config);
  provideService("auth", auth);
  let base = "";
  const gate = createRequestGate(auth, async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path.startsWith("/api/trpc/")) {
      const request = await toRequest(req, base);
      return send(res, await (req.method === "POST" ? trpcRoute.POST(request) : trpcRoute.GET(request)));
    }
    const route = ROUTES[path];
    if (route) return send(res, await route(await toRequest(req, base)));
    res.writeHead(200, { "content-type": "text/html" }).end("<html>page</html>");
  });
  const server = http.createServer((req, res) => void gate(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    auth,
    close: () =>
      new Promise((resolve) => {
        withdrawService("auth");
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every procedure of the root router with its type, read from the router itself (no hand list). */
export function allProcedures(): { path: string; type: "query" | "mutation" | "subscription" }[] {
  const procedures = (appRouter._def as unknown as { procedures: Record<string, { _def: { type: "query" | "mutation" | "subscription" } }> }).procedures;
  return Object.entries(procedures).map(([path, p]) => ({ path, type: p._def.type }));
}

/** Calls one tRPC procedure over HTTP (non-batched) and returns the status and tRPC error code. */
export async function callProcedure(
  url: string,
  path: string,
  type: "query" | "mutation" | "subscription",
  headers: Record<string, string> = {},
  input: unknown = {},
): Promise<{ status: number; code?: string; message?: string }> {
  const res =
    type === "mutation"
      ? await fetch(`${url}/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(input) })
      : await fetch(`${url}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string; data?: { code?: string } } };
  return { status: res.status, code: body.error?.data?.code, message: body.error?.message };
}

export function cookiesFrom(res: Response): { header: string; csrf?: string } {
  const set = res.headers.getSetCookie();
  const pairs = set.map((c) => c.split(";")[0]);
  const csrf = pairs.find((p) => p.startsWith("loopscope_csrf="))?.slice("loopscope_csrf=".length);
  return { header: pairs.join("; "), csrf };
}
