import { Counter, type Registry } from "prom-client";
import type { AuthService } from "../auth/auth-service";
import { webHeaders } from "../auth/headers";
import { hasRole } from "../auth/principal";
import type { ServiceSlot } from "../lifecycle/service-slot";
import type { RemoteWriteReceiver } from "./remote-write-receiver";
import { decodeWriteBody, headerRefusal } from "./write-body";

/** The path Prometheus's `remote_write: [{url: …}]` points at. */
export const REMOTE_WRITE_PATH = "/api/v1/write";

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...headers } });
}

function requestsCounter(registry: Registry): Counter<"code"> {
  return (
    (registry.getSingleMetric("loopscope_remote_write_requests_total") as Counter<"code"> | undefined) ??
    new Counter({ name: "loopscope_remote_write_requests_total", help: "Remote-write requests by HTTP status answered.", labelNames: ["code"], registers: [registry] })
  );
}

/**
 * `POST /api/v1/write`: Prometheus remote-write 1.0. Authorised like the rest of the
 * API's writes: an editor, by API token (`Authorization: Bearer lst_…`, Prometheus's
 * `authorization: {credentials_file: …}`), a trusted proxy's headers, or the local user
 * when authentication is off; a browser session cookie is refused (no sender uses one,
 * and a cookie must never authorise a cross-site push). Answers 204 once every sample
 * is committed or known to be stored, 400 for a body that is not a snappy-compressed
 * WriteRequest (Prometheus drops such a batch), 415 for another encoding or protocol
 * version, and 503 with Retry-After when the write buffer is full or the database did
 * not take the samples (Prometheus retries 5xx always, 429 only with retry_on_http_429).
 */
export function remoteWriteHandler(parts: { auth: AuthService; receiver: ServiceSlot<RemoteWriteReceiver>; metricsRegistry: Registry }) {
  const requests = requestsCounter(parts.metricsRegistry);
  const answer = (response: Response) => {
    requests.inc({ code: String(response.status) });
    return response;
  };
  return async (req: Request): Promise<Response> => {
    if (req.method !== "POST") return answer(text(405, "Remote write takes POST.", { Allow: "POST" }));
    const { principal, ...rest } = await parts.auth.authenticate(webHeaders(req.headers));
    if (!principal) {
      const reason = "reason" in rest ? rest.reason : "not signed in";
      return answer(text(401, `Not authorised: ${reason}. Send an editor API token (Authorization: Bearer lst_…).`, { "WWW-Authenticate": 'Bearer realm="loopscope"' }));
    }
    if (principal.via === "session") return answer(text(403, "Remote write takes an API token, not a browser session."));
    if (!hasRole(principal, "editor")) return answer(text(403, `${principal.name} is a ${principal.role}; remote write needs the editor role.`));
    const refused = headerRefusal({
      contentType: req.headers.get("content-type"),
      contentEncoding: req.headers.get("content-encoding"),
      version: req.headers.get("x-prometheus-remote-write-version"),
    });
    if (refused) return answer(text(refused.status, refused.message));
    const decoded = decodeWriteBody(new Uint8Array(await req.arrayBuffer()));
    if ("refusal" in decoded) return answer(text(decoded.refusal.status, decoded.refusal.message));
    // A malformed push is refused whether or not the receiver has started: Prometheus
    // must drop it (400), not retry it forever (503).
    const receiver = parts.receiver.find();
    if (!receiver) return answer(text(503, "The remote-write receiver is not running yet; retry.", { "Retry-After": "2" }));
    const outcome = await receiver.write(decoded.request);
    if (outcome.kind !== "stored") return answer(text(503, outcome.message, { "Retry-After": String(outcome.retryAfterS) }));
    return answer(new Response(null, { status: 204 }));
  };
}
