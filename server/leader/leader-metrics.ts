import { Counter, Gauge, type Registry } from "prom-client";

/** client-go's leader-election metrics (component-base names), labelled with the lease name. */
export interface LeaderMetrics {
  /** leader_election_master_status{name}: 1 while this replica leads, else 0. */
  setLeader(name: string, leading: boolean): void;
  /** leader_election_slowpath_total{name}: renewals whose fast path (no read) failed and fell back to read-then-write. */
  slowPath(name: string): void;
}

/** The metrics in `registry`, registered on first use (get-or-create, so every wiring shares them). */
export function leaderMetrics(registry: Registry): LeaderMetrics {
  const status =
    (registry.getSingleMetric("leader_election_master_status") as Gauge<"name"> | undefined) ??
    new Gauge({
      name: "leader_election_master_status",
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.",
      labelNames: ["name"],
      registers: [registry],
    });
  const slow =
    (registry.getSingleMetric("leader_election_slowpath_total") as Counter<"name"> | undefined) ??
    new Counter({
      name: "leader_election_slowpath_total",
      help: "Total number of slow path exercised in renewing leader leases. 'name' is the string used to identify the lease.",
      labelNames: ["name"],
      registers: [registry],
    });
  return {
    setLeader: (name, leading) => status.set({ name }, leading ? 1 : 0),
    slowPath: (name) => slow.inc({ name }),
  };
}
