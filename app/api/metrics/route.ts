import { metricsResponse } from "../../../server/metrics/exposition";

export const dynamic = "force-dynamic";
export const GET = metricsResponse;
