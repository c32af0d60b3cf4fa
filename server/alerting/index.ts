import type { LoopscopeConfig } from "../config";
import type { BackgroundService } from "../lifecycle/service-set";
import type { Logger } from "../log";
import { outboundPolicyFromConfig } from "../outbound/policy";
import { openSecretBox, type SecretBox } from "../secrets";
import { prismaClient } from "../store/prisma";
import type { RuleDataSources } from "./data-sources";
import { DeliveryWorker } from "./delivery";
import { AlertEvaluator } from "./evaluator";
import type { InhibitRule } from "./inhibition";
import { Notifier } from "./notifier";
import type { RetryPolicy } from "./retry-policy";

export interface AlertingWiring {
  config: Pick<LoopscopeConfig, "HOST" | "PORT" | "LOOPSCOPE_PUBLIC_URL" | "LOOPSCOPE_SECRET_KEY" | "LOOPSCOPE_ALLOW_PRIVATE_TARGETS" | "dataDir"> &
    Partial<Pick<LoopscopeConfig, "LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS" | "LOOPSCOPE_ALLOW_METADATA_TARGETS">>;
  databaseUrl: string;
  sources: RuleDataSources;
  /** Controllers that get the built-in rules (asked at start and every minute). */
  controllers?: () => Promise<readonly string[]> | readonly string[];
  inhibitRules?: InhibitRule[];
  retry?: Partial<RetryPolicy>;
  secrets?: SecretBox;
  log?: Logger;
}

export interface Alerting {
  evaluator: AlertEvaluator;
  notifier: Notifier;
  delivery: DeliveryWorker;
  /** In start order: delivery, notifier, evaluator (stopped in reverse). */
  services: BackgroundService[];
}

/** The dashboard's base URL for links in messages: LOOPSCOPE_PUBLIC_URL, else http://HOST:PORT. */
export function externalUrlOf(config: Pick<LoopscopeConfig, "HOST" | "PORT" | "LOOPSCOPE_PUBLIC_URL">): string {
  if (config.LOOPSCOPE_PUBLIC_URL) return config.LOOPSCOPE_PUBLIC_URL.replace(/\/+$/, "");
  const host = config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}

/**
 * Builds the alerting services. The returned services start/stop with the process; the
 * evaluator and notifier must run in one process at a time (the leader), the
 * delivery worker may run anywhere (it claims rows with SKIP LOCKED).
 */
export function createAlerting(wiring: AlertingWiring): Alerting {
  const prisma = prismaClient(wiring.databaseUrl);
  const externalURL = externalUrlOf(wiring.config);
  const secrets = wiring.secrets ?? openSecretBox(wiring.config);
  const policy = outboundPolicyFromConfig(wiring.config);
  const delivery = new DeliveryWorker({ prisma, secrets, policy, externalURL, retry: wiring.retry, log: wiring.log?.child({ component: "alert-delivery" }) });
  const notifier = new Notifier({ prisma, delivery, externalURL, inhibitRules: wiring.inhibitRules, log: wiring.log?.child({ component: "notifier" }) });
  const evaluator = new AlertEvaluator({
    prisma,
    sources: wiring.sources,
    externalURL,
    controllers: wiring.controllers,
    log: wiring.log?.child({ component: "alerting" }),
  });
  return { evaluator, notifier, delivery, services: [delivery, notifier, evaluator] };
}

export type { AnomalyWindowView, InstantSample, LeakTrendView, RuleDataSources } from "./data-sources";
export { emptyDataSources } from "./data-sources";
export { builtinRules, defaultRules } from "./default-rules";
export { DeliveryWorker } from "./delivery";
export { AlertEvaluator } from "./evaluator";
export { DEFAULT_INHIBIT_RULES, type InhibitRule } from "./inhibition";
export { Notifier } from "./notifier";
export { parseRule, type RecorderQuery, validateRule } from "./rule-schema";
export { anomalyWindowSource, controllersFromSeries, leakTrendSource, type RangeQueryFn, recordedDataSources, recorderSources } from "./sources";
