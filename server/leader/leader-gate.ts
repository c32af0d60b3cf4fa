import type { BackgroundService } from "../lifecycle/service-set";
import { log as rootLog, type Logger } from "../log";
import { LeaderElector, type LeaderElectorOptions, type LeadershipView } from "./leader-elector";

export interface LeaderGateOptions {
  /** The election (everything but the callbacks, which the gate supplies). */
  election: Omit<LeaderElectorOptions, "onStartedLeading" | "onStoppedLeading">;
  /**
   * Builds a fresh set of leader-only services, in start order (they are stopped in
   * reverse). Called once at construction, so followers can serve the services' read
   * side, and again after every term, because a stopped controller loop cannot restart.
   */
  build: () => BackgroundService[];
  /** How long stopping the set may take before the gate stops waiting (the services are told to stop at once). */
  stopBudgetMs: number;
  log?: Logger;
}

/**
 * Runs a set of services only while this replica holds the lease. Becoming leader
 * starts them in order; losing the lease tells every one of them to stop at once
 * (reverse order) and waits at most `stopBudgetMs`, so they end before another
 * replica may take over. Transitions run one at a time, in the order they happened.
 * As a BackgroundService it joins the election on start and leaves it on stop
 * (stopping the services, then releasing the lease).
 */
export class LeaderGate implements BackgroundService {
  readonly name = "leader-election";
  /**
   * A clean stop waits for a start in progress, stops the services (within their budget)
   * and then releases the lease: allow for all three, within the process's 9 s shutdown.
   */
  readonly stopBudgetMs = 7_000;
  readonly elector: LeaderElector;
  private readonly log: Logger;
  private current: BackgroundService[];
  private running: BackgroundService[] = [];
  private chain: Promise<void> = Promise.resolve();
  private terms = 0;

  constructor(private readonly options: LeaderGateOptions) {
    this.log = (options.log ?? rootLog).child({ component: "leader-gate" });
    this.current = options.build();
    this.elector = new LeaderElector({
      ...options.election,
      log: options.log,
      onStartedLeading: () => {
        void this.enqueue(() => this.startServices());
      },
      onStoppedLeading: () => this.enqueue(() => this.stopServices()),
    });
  }

  /** The leader-only services running now (empty on a follower). */
  get runningServices(): readonly string[] {
    return this.running.map((s) => s.name);
  }

  /** How many terms have started services in this process. */
  get termsStarted(): number {
    return this.terms;
  }

  status(): LeadershipView {
    return this.elector.status();
  }

  async start(): Promise<void> {
    this.elector.start();
  }

  async stop(): Promise<void> {
    // The lease is released only once no leader-only service is running or stopping here.
    await this.elector.stop(() => this.chain);
    await this.chain;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step, step);
    return this.chain;
  }

  private async startServices(): Promise<void> {
    if (!this.elector.isLeader || this.running.length > 0) return;
    this.terms += 1;
    const t0 = performance.now();
    for (const service of this.current) {
      if (!this.elector.isLeader) break; // lost the lease while starting; the queued stop ends what started
      try {
        this.running.push(service);
        await service.start();
      } catch (error) {
        this.log.error({ service: service.name, err: error instanceof Error ? error.message : String(error) }, "a leader-only service failed to start; resigning");
        void this.elector.resign();
        return;
      }
    }
    this.log.info({ services: this.running.map((s) => s.name), ms: Math.round(performance.now() - t0) }, "leader-only services started");
  }

  private async stopServices(): Promise<void> {
    if (this.running.length === 0) return;
    const stopping = this.running.reverse();
    this.running = [];
    // Every service is told to stop now (each sets its own stop flag synchronously), then awaited within the budget.
    const all = Promise.allSettled(
      stopping.map((service) =>
        service.stop().catch((error: unknown) => {
          this.log.error({ service: service.name, err: error instanceof Error ? error.message : String(error) }, "a leader-only service failed to stop cleanly");
        }),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.options.stopBudgetMs);
    });
    const outcome = await Promise.race([all.then(() => "stopped" as const), budget]);
    clearTimeout(timer);
    if (outcome === "timeout") this.log.warn({ budgetMs: this.options.stopBudgetMs }, "leader-only services did not finish stopping in time");
    else this.log.info({ services: stopping.map((s) => s.name) }, "leader-only services stopped");
    this.current = this.options.build();
  }
}
