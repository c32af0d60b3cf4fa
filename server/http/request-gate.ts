import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthService } from "../auth/auth-service";
import { nodeHeaders } from "../auth/headers";
import { isTrustedPeer, proxyHeaderNames } from "../auth/proxy-identity";
import { handleAuthRoute, isSecureRequest } from "./auth-routes";
import { bodyProblem } from "./body-limit";
import { sendJson } from "./respond";
import { contentSecurityPolicy, newNonce, securityHeaders } from "./security-headers";

/** How much of a refused upload is read and thrown away before the connection is cut. */
const DISCARD_LIMIT_BYTES = 64 * 1_048_576;

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * Paths served without a signed-in user. tRPC authorises per procedure; health and metrics
 * check their own optional tokens; the login page and Next's static assets must load first.
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
    path === "/api/metrics"
  );
}

function wantsHtml(req: IncomingMessage): boolean {
  return req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
}

/**
 * Wraps Next's request handler: security headers (CSP with a per-request nonce, which is also
 * put on the request so Next stamps its inline scripts), request body limits, proxy headers
 * stripped from untrusted peers, /api/auth/*, and — when authentication is on — pages only for
 * signed-in users (others are sent to /login).
 */
export function createRequestGate(auth: AuthService, handle: Handler, onError: (error: unknown) => void = () => undefined): Handler {
  return async (req, res) => {
    try {
      const nonce = newNonce();
      for (const [name, value] of Object.entries(securityHeaders(nonce))) res.setHeader(name, value);
      delete req.headers["content-security-policy-report-only"];
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

      const path = (req.url ?? "/").split("?")[0];
      if (path.startsWith("/api/auth/")) return await handleAuthRoute(req, res, path, auth);
      if (auth.enabled && !isPublicPath(path)) {
        const lookup = nodeHeaders(req.headers);
        const result = await auth.authenticate(lookup);
        if (!result.principal) {
          if (wantsHtml(req) && auth.mode === "password") {
            res.writeHead(303, { Location: `/login?next=${encodeURIComponent(req.url ?? "/")}`, "Cache-Control": "no-store" });
            res.end();
          } else {
            sendJson(res, auth.mode === "proxy" && result.reason.includes("group") ? 403 : 401, { error: `Not authorised: ${result.reason}.` });
          }
          return;
        }
        const csrfCookie = auth.csrfCookieFor(result.principal, lookup, isSecureRequest(req));
        if (csrfCookie) res.appendHeader("Set-Cookie", csrfCookie);
      }
      await handle(req, res);
    } catch (error) {
      onError(error);
      if (!res.headersSent) sendJson(res, 500, { error: "Internal error." });
      else res.end();
    }
  };
}
