import type pg from "pg";
import type { BackgroundService } from "../lifecycle/service-set";
import { LeaderElector } from "../leader/leader-elector";
import { DEFAULT_TIMINGS, type ElectionTimings } from "../leader/lease-record";
import { listLeases, PostgresLeaseLock } from "../leader/postgres-lease-lock";
import { log as rootLog, type Logger } from "../log";
import { liveMembers, nextExpiry, shardOwner, targetShardKey } from "./shard-assignment";

export interface ScrapeShardsOptions {
  pool: pg.Pool;
  /** The group's name: replicas with the same group share the targets. */
  group: string;
  /** This replica (LOOPSCOPE_REPLICA_ID, POD_NAME, else hostname-pid). */
  identity: string;
  /** LOOPSCOPE_LEASE_DURATION / _RENEW_DEADLINE / _RETRY_PERIOD. */
  timings?: ElectionTimings;
  /** Called when this replica's share may have changed (a member joined or left, or this one's lease did). */
  onChange: () => void;
  log?: Logger;
}

/** What the status shows about sharding. */
export interface ShardView {
  identity: string;
  group: string;
  /** This replica holds its member lease (it scrapes its share only then). */
  member: boolean;
  members: string[];
}

/**
 * Scrape sharding across replicas. Each replica holds a lease of its own in the group
 * (`<group>/<identity>`, in the `leases` table) through the same leader elector as the
 * Kubernetes Lease, so it renews every retry period and stops counting itself a member
 * once it failed to renew for the renew deadline (before anyone else may take its
 * share); a clean stop releases it at once. The live members are the group's leases
 * that are held and unexpired by the database's clock; they are re-read every retry
 * period and exactly when the first of them would run out, so a replica that died
 * (kill -9, cut off) stops owning its share one lease duration after its last renewal,
 * and the survivors take it over then. Each target belongs to one member
 * ({@link shardOwner}).
 */
export class ScrapeShards implements BackgroundService {
  readonly name = "scrape-shards";
  private readonly elector: LeaderElector;
  private readonly timings: ElectionTimings;
  private readonly log: Logger;
  private members: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private reading: Promise<void> | undefined;
  private readAgain = false;

  constructor(private readonly options: ScrapeShardsOptions) {
    this.timings = options.timings ?? DEFAULT_TIMINGS;
    this.log = (options.log ?? rootLog).child({ component: "scrape-shards", identity: options.identity });
    this.elector = new LeaderElector({
      name: options.group,
      identity: options.identity,
      lock: new PostgresLeaseLock(options.pool, options.group, `${options.group}/${options.identity}`),
      timings: this.timings,
      log: options.log,
      onStartedLeading: () => void this.refresh(),
      onStoppedLeading: () => {
        this.log.warn("lost this replica's shard lease: scraping nothing until it is renewed");
        this.options.onChange();
      },
    });
  }

  /** Whether this replica scrapes the target now. */
  owns(targetId: number): boolean {
    return this.elector.isLeader && shardOwner(targetShardKey(targetId), this.members) === this.options.identity;
  }

  view(): ShardView {
    return { identity: this.options.identity, group: this.options.group, member: this.elector.isLeader, members: [...this.members] };
  }

  async start(): Promise<void> {
    this.running = true;
    this.elector.start();
    await this.refresh();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.reading;
    // Releases the lease: the others take this replica's share at their next read.
    await this.elector.stop();
  }

  /** Re-reads the group now (also what the timer runs). */
  refresh(): Promise<void> {
    if (this.reading) {
      // A read in flight may predate what asked for this one (e.g. this replica's lease just started).
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.readAgain = false;
        await this.read();
      } while (this.readAgain && this.running);
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    clearTimeout(this.timer);
    let delay = this.timings.retryPeriodMs;
    try {
      const { now, leases } = await listLeases(this.options.pool, this.options.group);
      const records = leases.map((l) => l.lease);
      // This replica counts itself only while its elector holds its lease.
      const members = liveMembers(records, now).filter((m) => m !== this.options.identity);
      if (this.elector.isLeader) members.push(this.options.identity);
      members.sort();
      const expiry = nextExpiry(records, now);
      if (expiry !== undefined) delay = Math.min(delay, Math.max(10, expiry - now + 5));
      if (members.join("\u0000") !== this.members.join("\u0000")) {
        this.log.info({ members }, "scrape shard members changed");
        this.members = members;
        this.options.onChange();
      }
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "could not read the scrape shard members");
    } finally {
      if (this.running) {
        this.timer = setTimeout(() => void this.refresh(), delay);
        this.timer.unref();
      }
    }
  }
}
