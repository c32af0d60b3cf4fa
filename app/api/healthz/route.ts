import { endpointRefusal } from "../../../server/http/endpoint-token";

export const dynamic = "force-dynamic";

/** Liveness: the process is up and serving. */
export function GET(request: Request) {
  return endpointRefusal("health", request) ?? Response.json({ status: "ok" });
}
