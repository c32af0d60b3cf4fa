import type { LoopscopeConfig } from "./config";
import type { BackgroundService } from "./lifecycle/service-set";
import type { Logger } from "./log";

export interface WiringContext {
  config: LoopscopeConfig;
  databaseUrl: string;
  log: Logger;
}

/**
 * The one place where Loopscope's capabilities are wired together, in start order
 * (they are stopped in reverse).
 */
export async function wireServices(_context: WiringContext): Promise<BackgroundService[]> {
  return [];
}
