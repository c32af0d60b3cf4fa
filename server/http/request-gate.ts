import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthService } from "../auth/auth-service";
import { bearerToken, nodeHeaders, PEER_HEADER } from "../auth/headers";
import type { Principal } from "../auth/principal";
import { hostRefusal } from "../auth/host-policy";
import { isTrustedPeer, proxyHeaderNames } from "../auth/proxy-identity";
import { handleAuthRoute, isSecureRequest } from "./auth-routes";
import { bodyProblem } from "./body-limit";
import { ConcurrencyLimiter, trpcBatchSize } from "./client-limits";
import { REMOTE_WRITE_PATH } from "../remote-write/write-route";
import { retryAfterOn429, sendJson } from "./respond";
import { encodePageContext, PAGE_CONTEXT_HEADER } from "./page-context";
import { contentSecurityPolicy, newNonce, securityHeaders } from "./security-headers";

/** How much of a refused upload is read and thrown away before the connection is cut. */
const DISCARD_LIMIT_BYTES = 64 * 1_048_576;

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * Paths served without a signed-in user. tRPC authorises per procedure, and so does remote
 * write (an editor's API token); health and metrics check their own optional tokens; the login page and Next's static assets must load first.
 */
export function isPublicPath(path: string): boolean {
  return (
    path === "/login" ||
    path.startsWith("/api/auth/") ||
    path.startsWith("/api/trpc/") ||
    path.startsWith("/_next/static/") ||
    path === "/favicon.ico" ||
    path === "/api/healthz" ||
    path === "/api/readyz" ||
    path === "/metrics" ||
    path === "/api/metrics" ||
    path === REMOTE_WRITE_PATH
  );
}

/**
 * A 429 in tRPC's own error shape (what its handler would have answered: one error, or one per
 * procedure of a batch), so tRPC clients read the message and `data.retryAfterS`.
 */
function sendTrpcRateLimited(res: ServerResponse, url: string, procedures: number, message: string, retryAfterMs: number): void {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const error = { error: { message, code: -32029, data: { code: "TOO_MANY_REQUESTS", httpStatus: 429, retryAfterS: seconds } } };
  const batched = new URLSearchParams(url.split("?")[1] ?? "").get("batch") === "1";
  sendJson(res, 429, batched ? Array.from({ length: procedures }, () => error) : error, { "Retry-After": String(seconds) });
}

function wantsHtml(req: IncomingMessage): boolean {
  return req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
}

function setPageContext(req: IncomingMessage, auth: AuthService, principal: Principal | null): void {
  const who = principal ? { name: principal.name, role: principal.role, via: principal.via } : null;
  req.headers[PAGE_CONTEXT_HEADER] = encodePageContext({ authMode: auth.mode, principal: who });
}

/**
 * Wraps Next's request handler: security headers (CSP with a per-request nonce, which is also
 * put on the request so Next stamps its inline scripts), request body limits, proxy headers
 * stripped from untrusted peers, /api/auth/*, and — when authentication is on — pages only for
 * signed-in users (others are sent to /login).
 */
export function createRequestGate(auth: AuthService, handle: Handler, onError: (error: unknown) => void = () => undefined): Handler {
  const concurrency = new ConcurrencyLimiter(auth.limits.maxConcurrentPerClient);
  return async (req, res) => {
    retryAfterOn429(res);
    try {
      // Before anything else: a Host that is not ours is a DNS-rebinding page (or a misrouted request).
      if (!auth.hostAllowed(req.headers.host)) {
        req.resume();
        sendJson(res, 421, { error: hostRefusal(req.headers.host) }, { Connection: "close" });
        return;
      }
      const peer = req.socket.remoteAddress ?? "unknown";
      req.headers[PEER_HEADER] = peer;
      const path = (req.url ?? "/").split("?")[0];
      // Probes stay cheap and always answered; everything else counts against the client's share,
      // except remote write, whose samples in flight are bounded by its own buffer (a 429 here
      // would make a default-configured Prometheus drop the batch instead of retrying).
      if (path !== "/api/healthz" && path !== "/api/readyz" && path !== REMOTE_WRITE_PATH) {
        if (!concurrency.enter(peer)) {
          req.resume();
          sendJson(res, 429, { error: `Too many requests in flight from ${peer} (LOOPSCOPE_MAX_CONCURRENT_REQUESTS=${auth.limits.maxConcurrentPerClient}); wait for some to finish.` }, { "Retry-After": "1" });
          return;
        }
        res.once("close", () => concurrency.leave(peer));
      }
      const batch = trpcBatchSize(path);
      if (batch > auth.limits.maxTrpcBatch) {
        req.resume();
        sendJson(res, 400, { error: `A tRPC batch of ${batch} procedures is more than the ${auth.limits.maxTrpcBatch} allowed (LOOPSCOPE_TRPC_MAX_BATCH); send fewer per request.` });
        return;
      }
      const nonce = newNonce();
      for (const [name, value] of Object.entries(securityHeaders(nonce))) res.setHeader(name, value);
      delete req.headers["content-security-policy-report-only"];
      delete req.headers[PAGE_CONTEXT_HEADER];
      req.headers["content-security-policy"] = contentSecurityPolicy(nonce);

      const tooBig = bodyProblem(req.method, req.headers["content-length"], req.headers["transfer-encoding"], auth.maxBodyBytes);
      if (tooBig) {
        // Answer first, then discard the upload (so the client reads the answer instead of a reset); cap what is discarded.
        sendJson(res, tooBig.status, { error: tooBig.message });
        let discarded = 0;
        req.on("data", (chunk: Buffer) => {
          discarded += chunk.length;
          if (discarded > DISCARD_LIMIT_BYTES) req.socket.destroy();
        });
        req.resume();
        return;
      }
      if (auth.mode === "proxy" && !isTrustedPeer(req.socket.remoteAddress, auth.proxySettings.trustedPeers)) {
        for (const name of proxyHeaderNames(auth.proxySettings)) delete req.headers[name];
      }

      // A bearer token refused for a limit (its name or this address past the failure limit) is
      // answered here, before a web request and a tRPC call are built for it: a flood of bogus
      // tokens then costs a hash and a map lookup each. tRPC would refuse it the same way.
      if (batch > 0 && auth.enabled && bearerToken(nodeHeaders(req.headers)) !== undefined) {
        const result = await auth.authenticate(nodeHeaders(req.headers));
        if (!result.principal && result.retryAfterMs !== undefined) {
          req.resume();
          sendTrpcRateLimited(res, req.url ?? path, batch, `Refused: ${result.reason}.`, result.retryAfterMs);
          return;
        }
      }
      if (path.startsWith("/api/auth/")) return await handleAuthRoute(req, res, path, auth);
      const isPage = !path.startsWith("/api/") && !path.startsWith("/_next/") && path !== "/metrics";
      if (auth.enabled && !isPublicPath(path)) {
        const lookup = nodeHeaders(req.headers);
        const result = await auth.authenticate(lookup);
        if (isPage) setPageContext(req, auth, result.principal);
        if (!result.principal) {
          if (result.retryAfterMs !== undefined) {
            const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
            sendJson(res, 429, { error: `Refused: ${result.reason}.`, retryAfterSeconds: seconds }, { "Retry-After": String(seconds) });
          } else if (wantsHtml(req) && auth.mode === "password") {
            res.writeHead(303, { Location: `/login?next=${encodeURIComponent(req.url ?? "/")}`, "Cache-Control": "no-store" });
            res.end();
          } else {
            sendJson(res, auth.mode === "proxy" && result.reason.includes("group") ? 403 : 401, { error: `Not authorised: ${result.reason}.` });
          }
          return;
        }
        const csrfCookie = auth.csrfCookieFor(result.principal, lookup, isSecureRequest(req));
        if (csrfCookie) res.appendHeader("Set-Cookie", csrfCookie);
      } else if (isPage) {
        setPageContext(req, auth, (await auth.authenticate(nodeHeaders(req.headers))).principal);
      }
      await handle(req, res);
    } catch (error) {
      onError(error);
      if (!res.headersSent) sendJson(res, 500, { error: "Internal error." });
      else res.end();
    }
  };
}
