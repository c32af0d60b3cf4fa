import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthService } from "../auth/auth-service";
import { nodeHeaders } from "../auth/headers";
import { LOCAL_EDITOR } from "../auth/principal";
import { redirect, safeNextPath, sendJson } from "./respond";

/** Reads a request body of at most `maxBytes` (the gate has already checked Content-Length). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function field(value: unknown): string {
  return typeof value === "string" ? value : "";
}

async function readCredentials(req: IncomingMessage, maxBytes: number): Promise<{ username: string; password: string; next: string; form: boolean }> {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  const text = await readBody(req, maxBytes);
  if (type === "application/x-www-form-urlencoded") {
    const params = new URLSearchParams(text);
    return { username: params.get("username") ?? "", password: params.get("password") ?? "", next: safeNextPath(params.get("next")), form: true };
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    // treated as empty credentials
  }
  return { username: field(body.username), password: field(body.password), next: safeNextPath(field(body.next)), form: false };
}

export function isSecureRequest(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || req.headers["x-forwarded-proto"] === "https";
}

/**
 * /api/auth/login (POST, JSON or form: username, password, next), /api/auth/logout (POST) and
 * /api/auth/session (GET: mode and who is signed in). Login is rate limited per client address,
 * failed sign-ins per account and per address, and refused from other origins.
 */
export async function handleAuthRoute(req: IncomingMessage, res: ServerResponse, path: string, auth: AuthService): Promise<void> {
  const lookup = nodeHeaders(req.headers);
  const secure = isSecureRequest(req);
  if (path === "/api/auth/session" && req.method === "GET") {
    const result = await auth.authenticate(lookup);
    const p = result.principal;
    sendJson(res, 200, { mode: auth.mode, passwordLogin: auth.passwordLogin, principal: p ? { name: p.name, role: p.role, via: p.via } : null });
    return;
  }
  if (req.method !== "POST" || (path !== "/api/auth/login" && path !== "/api/auth/logout")) {
    sendJson(res, 404, { error: "Not found." });
    return;
  }
  const crossSite = auth.mutationProblem(lookup, LOCAL_EDITOR);
  if (crossSite) {
    sendJson(res, 403, { error: `Refused: ${crossSite}.` });
    return;
  }
  if (path === "/api/auth/logout") {
    const { principal } = await auth.authenticate(lookup);
    const cookies = await auth.logout(principal, secure);
    const form = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    if (form) redirect(res, "/login?signedOut=1", { "Set-Cookie": cookies });
    else sendJson(res, 200, { ok: true }, { "Set-Cookie": cookies });
    return;
  }
  if (!auth.passwordLogin) {
    sendJson(res, 400, { error: auth.mode === "proxy" ? "Sign-in happens at the authenticating proxy (LOOPSCOPE_AUTH=proxy)." : "Password sign-in is not enabled." });
    return;
  }
  const client = req.socket.remoteAddress ?? "unknown";
  const allowed = auth.loginLimiter.take(client);
  if (!allowed.allowed) {
    const seconds = Math.ceil(allowed.retryAfterMs / 1000);
    req.resume();
    sendJson(res, 429, { error: `Too many sign-in attempts from this address. Try again in ${seconds} s.`, retryAfterSeconds: seconds }, { "Retry-After": String(seconds) });
    return;
  }
  let credentials: Awaited<ReturnType<typeof readCredentials>>;
  try {
    credentials = await readCredentials(req, auth.maxBodyBytes);
  } catch {
    sendJson(res, 413, { error: "Request body too large." });
    return;
  }
  const result = await auth.login(credentials.username, credentials.password, secure, client);
  if (result && "refused" in result) {
    const seconds = Math.ceil(result.retryAfterMs / 1000);
    if (credentials.form) redirect(res, `/login?error=limited&next=${encodeURIComponent(credentials.next)}`, { "Retry-After": String(seconds) });
    else sendJson(res, 429, { error: `Refused: ${result.refused}.`, retryAfterSeconds: seconds }, { "Retry-After": String(seconds) });
    return;
  }
  if (!result) {
    if (credentials.form) redirect(res, `/login?error=1&next=${encodeURIComponent(credentials.next)}`);
    else sendJson(res, 401, { error: "Wrong user name or password." });
    return;
  }
  if (credentials.form) redirect(res, credentials.next, { "Set-Cookie": result.cookies });
  else sendJson(res, 200, { name: result.principal.name, role: result.principal.role, next: credentials.next }, { "Set-Cookie": result.cookies });
}
