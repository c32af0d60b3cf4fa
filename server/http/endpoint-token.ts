import { endpointTokenOk } from "../auth/auth-service";
import { webHeaders } from "../auth/headers";
import { findService } from "../service-registry";

/**
 * For the /metrics and health route handlers: null when the request may proceed, else a 401.
 * Open unless LOOPSCOPE_METRICS_TOKEN / LOOPSCOPE_HEALTH_TOKEN is set, in which case
 * `Authorization: Bearer <token>` is required.
 */
export function endpointRefusal(kind: "metrics" | "health", request: Request): Response | null {
  const lookup = webHeaders(request.headers);
  const auth = findService("auth");
  const allowed = auth
    ? auth.endpointAllowed(kind, lookup)
    : endpointTokenOk(kind === "metrics" ? process.env.LOOPSCOPE_METRICS_TOKEN : process.env.LOOPSCOPE_HEALTH_TOKEN, lookup);
  if (allowed) return null;
  return Response.json(
    { error: `This endpoint needs Authorization: Bearer <LOOPSCOPE_${kind.toUpperCase()}_TOKEN>.` },
    { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="loopscope"', "Cache-Control": "no-store" } },
  );
}
