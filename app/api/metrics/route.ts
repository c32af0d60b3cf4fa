import { endpointRefusal } from "../../../server/http/endpoint-token";
import { metricsResponse } from "../../../server/metrics/exposition";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  return endpointRefusal("metrics", request) ?? (await metricsResponse());
}
