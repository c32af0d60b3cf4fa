import type { IncomingMessage, ServerResponse } from "node:http";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Services } from "../composition";
import { metricsResponse } from "../metrics/exposition";
import { metricsRegistry } from "../metrics/registry";
import { REMOTE_WRITE_PATH, remoteWriteHandler } from "../remote-write/write-route";
import { checkReadiness, recordingReadiness } from "../system/status";
import { retryAfterHeaders } from "../trpc/retry-after";
import { appRouter } from "../trpc/root";
import { endpointRefusal } from "./endpoint-token";
import { sendWebResponse, toWebRequest } from "./web-bridge";

type WebHandler = (request: Request) => Promise<Response> | Response;

/**
 * Loopscope's API routes, served by the custom server itself (not by Next's route bundles),
 * so they get the one `Services` object explicitly: tRPC, health, readiness, metrics and
 * the remote-write receiver.
 * Returns undefined for a path that is not an API route (Next serves it).
 */
export function apiRoute(services: Services, path: string): WebHandler | undefined {
  if (path.startsWith("/api/trpc/")) {
    return (req) =>
      fetchRequestHandler({
        endpoint: "/api/trpc",
        req,
        router: appRouter,
        createContext: () => ({ headers: req.headers, services }),
        // Every 429 (an expensive query without a place, too many failed tokens) says when to retry.
        responseMeta: ({ errors }) => ({ headers: retryAfterHeaders(errors) }),
      });
  }
  switch (path) {
    case "/api/healthz":
      /** Liveness: the process is up and serving. */
      return (req) => endpointRefusal(services.auth, "health", req) ?? Response.json({ status: "ok" });
    case "/api/readyz":
      /**
       * Readiness: the database is reachable and fully migrated, and recording is not stalled;
       * 503 with the reason otherwise. `recording` says how many samples were refused, per source.
       */
      return async (req) => {
        const refused = endpointRefusal(services.auth, "health", req);
        if (refused) return refused;
        const readiness = await checkReadiness(services.system);
        const recording = recordingReadiness(services.recorder.find());
        const ready = readiness.ready && recording.ready;
        const reason = readiness.ready ? recording.reason : readiness.reason;
        return Response.json(ready ? { status: "ready", recording: recording.summary } : { status: "not ready", reason, recording: recording.summary }, {
          status: ready ? 200 : 503,
          headers: { "Cache-Control": "no-store" },
        });
      };
    case REMOTE_WRITE_PATH:
      return remoteWriteHandler({ auth: services.auth, receiver: services.remoteWrite, metricsRegistry: metricsRegistry() });
    case "/metrics":
    case "/api/metrics":
      return async (req) => endpointRefusal(services.auth, "metrics", req) ?? (await metricsResponse(req));
    default:
      return undefined;
  }
}

/**
 * A Node request handler: the API routes above, anything else to `next` (Next's own handler).
 * `base` is the origin used to build absolute request URLs.
 */
export function withApiRoutes(
  services: Services,
  base: () => string,
  next: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const route = apiRoute(services, (req.url ?? "/").split("?")[0]);
    if (!route) return next(req, res);
    await sendWebResponse(res, await route(toWebRequest(req, base())));
  };
}
