import http from "node:http";
import type { AddressInfo } from "node:net";
import { createAuthService } from "../../../server/auth";
import type { AuthService } from "../../../server/auth/auth-service";
import { loadAuthSettings } from "../../../server/auth/settings";
import { loadConfig } from "../../../server/config";
import { withApiRoutes } from "../../../server/http/api-routes";
import { createRequestGate } from "../../../server/http/request-gate";
import { appRouter } from "../../../server/trpc/root";
import { type RunningServices, testServices } from "../../support/services";

/**
 * The real HTTP front of Loopscope in-process: the request gate and the API routes of
 * server/main.ts (tRPC, metrics, health) with the given auth settings; other paths answer
 * like a page.
 */
export interface AuthHarness {
  url: string;
  auth: AuthService;
  close(): Promise<void>;
}

/** `running`: services to run behind the routes (e.g. a query service on a test database). */
export async function startHarness(env: Record<string, string>, dataDir: string, running: RunningServices = {}): Promise<AuthHarness> {
  const config = loadConfig({ ...env, LOOPSCOPE_DATA_DIR: dataDir });
  const auth = createAuthService(loadAuthSettings(config), config);
  const services = testServices(running, auth);
  let base = "";
  const page = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { "content-type": "text/html" }).end("<html>page</html>");
  };
  const gate = createRequestGate(auth, withApiRoutes(services, () => base, page));
  const server = http.createServer((req, res) => void gate(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    auth,
    close: () =>
      new Promise((resolve) => {
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
