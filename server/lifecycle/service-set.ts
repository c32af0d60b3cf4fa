import type { Logger } from "../log";

/** A background part of Loopscope (controller loop, recorder, alert engine, …). */
export interface BackgroundService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** How long `stop` may take before shutdown moves on (default: the ServiceSet's budget). */
  readonly stopBudgetMs?: number;
}

/**
 * Starts services in order and stops them in reverse order. A service that fails to
 * stop within its budget is logged and skipped so shutdown always finishes.
 */
export class ServiceSet {
  private readonly started: BackgroundService[] = [];

  constructor(private readonly log: Logger) {}

  async start(services: BackgroundService[]): Promise<void> {
    for (const service of services) {
      const t0 = performance.now();
      await service.start();
      this.started.push(service);
      this.log.info({ service: service.name, ms: Math.round(performance.now() - t0) }, "service started");
    }
  }

  async stop(budgetMs = 3_000): Promise<void> {
    while (this.started.length > 0) {
      const service = this.started.pop()!;
      let timer: NodeJS.Timeout | undefined;
      const budget = service.stopBudgetMs ?? budgetMs;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), budget);
      });
      try {
        const outcome = await Promise.race([service.stop().then(() => "stopped" as const), timeout]);
        if (outcome === "timeout") this.log.warn({ service: service.name, budgetMs: budget }, "service did not stop in time");
        else this.log.info({ service: service.name }, "service stopped");
      } catch (error) {
        this.log.error({ service: service.name, err: error }, "service failed to stop cleanly");
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
