/**
 * The running services of this process, by name. Each capability adds its entry to
 * `ServiceMap` by declaration merging:
 *
 *   declare module "../service-registry" { interface ServiceMap { leaks: LeakTracker } }
 *
 * The wiring (server/services.ts) provides them at start; tRPC routers and route
 * handlers look them up. It lives on globalThis so Next's route bundles see it too.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface ServiceMap {}

type Holder = { __loopscopeServices?: Partial<ServiceMap> };
const holder = globalThis as Holder;

export class ServiceUnavailableError extends Error {
  constructor(name: string) {
    super(`The ${name} service is not running in this process.`);
    this.name = "ServiceUnavailableError";
  }
}

export function provideService<K extends keyof ServiceMap>(name: K, value: ServiceMap[K]): void {
  holder.__loopscopeServices ??= {};
  holder.__loopscopeServices[name] = value;
}

export function withdrawService(name: keyof ServiceMap): void {
  delete holder.__loopscopeServices?.[name];
}

export function findService<K extends keyof ServiceMap>(name: K): ServiceMap[K] | undefined {
  return holder.__loopscopeServices?.[name];
}

export function service<K extends keyof ServiceMap>(name: K): ServiceMap[K] {
  const found = findService(name);
  if (found === undefined) throw new ServiceUnavailableError(String(name));
  return found;
}
