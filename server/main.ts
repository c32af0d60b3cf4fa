import http from "node:http";
import next from "next";
import { type AuthService, startAuth } from "./auth";
import { createServices, initialSystemState } from "./composition";
import { withApiRoutes } from "./http/api-routes";
import { ConfigError, dashboardUrl, type LoopscopeConfig, loadConfig } from "./config";
import { createRequestGate } from "./http/request-gate";
import { ServiceSet } from "./lifecycle/service-set";
import { log, routeConsoleToLog } from "./log";
import { metricsRegistry } from "./metrics/registry";
import { prometheusSettings } from "./prometheus/settings";
import { wireServices } from "./services";
import { type DatabaseHandle, isFatalDatabaseError, openDatabase } from "./store/database";
import { migrate } from "./store/migrate";
import { disconnectAll } from "./store/prisma";
import type { SystemState } from "./system/status";

const SHUTDOWN_BUDGET_MS = 9_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Connects and migrates, retrying with backoff while the database is unreachable. */
async function bringUpDatabase(config: LoopscopeConfig, state: SystemState, stopping: () => boolean): Promise<DatabaseHandle | undefined> {
  let delay = 500;
  for (let attempt = 1; !stopping(); attempt += 1) {
    let handle: DatabaseHandle | undefined;
    try {
      state.databaseState = "connecting";
      handle = await openDatabase(config, log);
      state.databaseKind = handle.kind;
      state.databaseState = "migrating";
      const report = await migrate(handle.url);
      if (report.applied.length > 0) log.info({ applied: report.applied }, "migrations applied");
      state.databaseUrl = handle.url;
      state.databaseOutage = handle.outage;
      state.databaseState = "ready";
      state.databaseError = undefined;
      return handle;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isFatalDatabaseError(error)) {
        state.databaseState = "failed";
        state.databaseError = message;
        await handle?.stop();
        throw error;
      }
      await handle?.stop().catch(() => undefined);
      state.databaseState = "unreachable";
      state.databaseError = message;
      log.warn({ attempt, retryInMs: delay, err: message }, "database unavailable; retrying");
      await sleep(delay);
      delay = Math.min(delay * 2, 15_000);
    }
  }
  return undefined;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new Error(`Port ${port} on ${host} is already in use. Stop the other process or set PORT to a free port.`));
      else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
}

export async function main(): Promise<void> {
  let config: LoopscopeConfig;
  let auth: AuthService;
  try {
    config = loadConfig();
    auth = startAuth(config);
    // Checked here so a bad data-source setting stops start-up with exit code 2, like any setting.
    prometheusSettings(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  routeConsoleToLog();
  const state: SystemState = initialSystemState(config.DATABASE_URL ? "external" : "embedded");
  // The composition root: built once here, handed to the HTTP routes (and through them to
  // the tRPC context) and to the wiring, which fills it as the services start.
  const registry = createServices({ system: state, auth });
  metricsRegistry();

  let stopping = false;
  let database: DatabaseHandle | undefined;
  const services = new ServiceSet(log);

  const app = next({ dev: false, dir: process.cwd(), hostname: config.HOST, port: config.PORT });
  const handle = app.getRequestHandler();
  await app.prepare();
  const base = () => `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
  const gate = createRequestGate(auth, withApiRoutes(registry, base, handle), (error) => log.error({ err: error instanceof Error ? error.message : String(error) }, "request failed"));
  const server = http.createServer((req, res) => {
    void gate(req, res);
  });

  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting at once");
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    const watchdog = setTimeout(() => {
      log.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_BUDGET_MS);
    watchdog.unref();
    server.close();
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1_000).unref();
    await services.stop();
    await disconnectAll().catch(() => undefined);
    await database?.stop();
    clearTimeout(watchdog);
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    await listen(server, config.HOST, config.PORT);
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  log.info({ url: dashboardUrl(config) }, "Loopscope is serving");

  try {
    database = await bringUpDatabase(config, state, () => stopping);
  } catch (error) {
    const message = (error as Error).message;
    log.fatal({ err: message }, (error as Error).name === "MigrationError" ? "database migration failed; refusing to start" : "the database cannot be set up; refusing to start");
    console.error(`Loopscope could not start: ${message}`);
    server.close();
    process.exit(1);
  }
  if (!database || stopping) return;
  try {
    await services.start(await wireServices({ config, databaseUrl: database.url, log }, registry));
  } catch (error) {
    // A bad setting found while wiring (e.g. an unknown demo fault) stops start-up cleanly.
    log.fatal({ err: error instanceof Error ? error.message : String(error) }, "could not start Loopscope's services");
    console.error(`Loopscope could not start: ${error instanceof Error ? error.message : String(error)}`);
    stopping = true;
    server.close();
    await services.stop();
    await disconnectAll().catch(() => undefined);
    await database.stop();
    process.exit(1);
  }
  state.servicesStarted = true;
  log.info({ ms: Date.now() - state.startedAt }, "Loopscope is ready");
}
