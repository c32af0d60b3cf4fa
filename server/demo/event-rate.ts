import { type ChurnRates, DEFAULT_CHURN } from "./demo-cluster";

/** Object events one unit of each churn process emits (a pod replacement is a delete and an add). */
const EVENTS_PER_OCCURRENCE: Record<Exclude<keyof ChurnRates, "resyncEveryMs">, number> = {
  podStatusChanges: 1,
  podReplacements: 2,
  deploymentChanges: 1,
  configMapChanges: 1,
};

/** Object events per demo second of the default churn (about 4). */
export function defaultEventRate(): number {
  let total = 0;
  for (const [name, events] of Object.entries(EVENTS_PER_OCCURRENCE)) total += DEFAULT_CHURN[name as keyof typeof EVENTS_PER_OCCURRENCE] * events;
  return total;
}

/**
 * LOOPSCOPE_DEMO_EVENT_RATE: the demo's background churn scaled (keeping its mix of
 * pod, deployment and config-map changes) so that it emits `eventsPerSecond` object
 * events per real second at the given time scale. Undefined leaves the default churn.
 */
export function churnForEventRate(eventsPerSecond: number | undefined, timeScale = 1): Partial<ChurnRates> | undefined {
  if (eventsPerSecond === undefined) return undefined;
  const factor = eventsPerSecond / timeScale / defaultEventRate();
  return {
    podStatusChanges: DEFAULT_CHURN.podStatusChanges * factor,
    podReplacements: DEFAULT_CHURN.podReplacements * factor,
    deploymentChanges: DEFAULT_CHURN.deploymentChanges * factor,
    configMapChanges: DEFAULT_CHURN.configMapChanges * factor,
  };
}
