import type { AuthService } from "../auth/auth-service";
import { webHeaders } from "../auth/headers";

/**
 * For the /metrics and health routes: null when the request may proceed, else a 401.
 * Open unless LOOPSCOPE_METRICS_TOKEN / LOOPSCOPE_HEALTH_TOKEN is set, in which case
 * `Authorization: Bearer <token>` is required.
 */
export function endpointRefusal(auth: AuthService, kind: "metrics" | "health", request: Request): Response | null {
  if (auth.endpointAllowed(kind, webHeaders(request.headers))) return null;
  return Response.json(
    { error: `This endpoint needs Authorization: Bearer <LOOPSCOPE_${kind.toUpperCase()}_TOKEN>.` },
    { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="loopscope"', "Cache-Control": "no-store" } },
  );
}
