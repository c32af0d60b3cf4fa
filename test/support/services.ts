import { createAuthService } from "../../server/auth";
import type { AuthService } from "../../server/auth/auth-service";
import { loadAuthSettings } from "../../server/auth/settings";
import { createServices, initialSystemState, type Services } from "../../server/composition";
import { loadConfig } from "../../server/config";
import type { ServiceSlot } from "../../server/lifecycle/service-slot";

type SlotName = { [K in keyof Services]: Services[K] extends ServiceSlot<unknown> ? K : never }[keyof Services];
export type RunningServices = { [K in SlotName]?: Services[K] extends ServiceSlot<infer T> ? T : never };

/** Authentication off (loopback, no settings): every caller is the local editor. */
export function noAuth(): AuthService {
  const config = loadConfig({});
  return createAuthService(loadAuthSettings(config), config);
}

/** A composition root for in-process tests: the given services running, every other slot "starting". */
export function testServices(running: RunningServices = {}, auth: AuthService = noAuth()): Services {
  const services = createServices({ system: initialSystemState("unknown"), auth });
  for (const [name, value] of Object.entries(running) as [SlotName, unknown][]) (services[name] as ServiceSlot<unknown>).provide(value);
  return services;
}
