import { closedLookAlikes } from "./closed-look-alikes";
import { asyncSourceLeaks } from "./leaking/async-sources";
import { fileLeaks } from "./leaking/files";
import { handleLeaks } from "./leaking/handles";
import { processLeaks } from "./leaking/processes";
import { promiseLeaks } from "./leaking/promises";
import { serverLeaks } from "./leaking/servers";
import { socketLeaks } from "./leaking/sockets";
import { timerLeaks } from "./leaking/timers";
import { lookAlikes } from "./look-alikes";
import type { LeakScenario } from "./scenario";

/** The leak corpus: reconciles that leak, and look-alikes that must not be blamed. */
export const leakingScenarios: LeakScenario[] = [...timerLeaks, ...socketLeaks, ...serverLeaks, ...fileLeaks, ...processLeaks, ...promiseLeaks, ...asyncSourceLeaks, ...handleLeaks];
export const cleanScenarios: LeakScenario[] = [...lookAlikes, ...closedLookAlikes];
export const corpus: LeakScenario[] = [...leakingScenarios, ...cleanScenarios];
