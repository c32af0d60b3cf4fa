import { endpointRefusal } from "../../../server/http/endpoint-token";
import { findService } from "../../../server/service-registry";
import { checkReadiness } from "../../../server/system/status";

export const dynamic = "force-dynamic";

/** Readiness: the database is reachable and fully migrated; 503 with the reason otherwise. */
export async function GET(request: Request) {
  const refused = endpointRefusal("health", request);
  if (refused) return refused;
  const readiness = await checkReadiness(findService("system"));
  return Response.json(readiness.ready ? { status: "ready" } : { status: "not ready", reason: readiness.reason }, {
    status: readiness.ready ? 200 : 503,
  });
}
