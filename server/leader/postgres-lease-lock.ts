import type pg from "pg";
import { LeaseConflictError, type LeaseLock, type LeaseRecord, type VersionedLease } from "./lease-record";

interface LeaseRow {
  name: string;
  holder: string;
  duration: number;
  acquired: number;
  renewed: number;
  transitions: number;
  version: string;
  /** The database's clock when read (epoch ms). */
  now: number;
}

const COLUMNS = `name, holder_identity AS holder, lease_duration_seconds AS duration,
  date_part('epoch', acquire_time) * 1000 AS acquired, date_part('epoch', renew_time) * 1000 AS renewed,
  lease_transitions AS transitions, version::text AS version, date_part('epoch', now()) * 1000 AS now`;

function toVersioned(row: LeaseRow): VersionedLease {
  return {
    version: row.version,
    record: {
      holderIdentity: row.holder,
      leaseDurationSeconds: row.duration,
      acquireTime: Math.round(row.acquired),
      renewTime: Math.round(row.renewed),
      leaseTransitions: row.transitions,
    },
  };
}

/**
 * A {@link LeaseLock} on a row of the `leases` table: read, create, and replace guarded by
 * the row's version (a Lease's resourceVersion), so a write on top of a lease someone else
 * changed is refused with LeaseConflictError, as the API server answers 409. The renew
 * and acquire times written are the database's `now()` (a renewal's time as the record
 * says, acquire time kept unless the holder changes), so every replica's lease is dated by
 * one clock and expiry can be judged without clock skew between replicas.
 */
export class PostgresLeaseLock implements LeaseLock {
  readonly description: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly group: string,
    private readonly name: string,
  ) {
    this.description = `postgres:leases/${name}`;
  }

  async get(): Promise<VersionedLease | undefined> {
    const { rows } = await this.pool.query<LeaseRow>(`SELECT ${COLUMNS} FROM leases WHERE name = $1`, [this.name]);
    return rows[0] && toVersioned(rows[0]);
  }

  async create(record: LeaseRecord): Promise<VersionedLease> {
    const { rows } = await this.pool.query<LeaseRow>(
      `INSERT INTO leases (name, "group", holder_identity, lease_duration_seconds, acquire_time, renew_time, lease_transitions)
       VALUES ($1, $2, $3, $4, now(), now(), $5)
       ON CONFLICT (name) DO NOTHING
       RETURNING ${COLUMNS}`,
      [this.name, this.group, record.holderIdentity, record.leaseDurationSeconds, record.leaseTransitions],
    );
    if (!rows[0]) throw new LeaseConflictError(`create lease ${this.description}: it already exists`);
    return toVersioned(rows[0]);
  }

  async update(record: LeaseRecord, version: string): Promise<VersionedLease> {
    const { rows } = await this.pool.query<LeaseRow>(
      `UPDATE leases SET holder_identity = $3, lease_duration_seconds = $4, lease_transitions = $5, renew_time = now(),
         acquire_time = CASE WHEN holder_identity = $3 THEN acquire_time ELSE now() END, version = version + 1
       WHERE name = $1 AND version = $2::bigint
       RETURNING ${COLUMNS}`,
      [this.name, version, record.holderIdentity, record.leaseDurationSeconds, record.leaseTransitions],
    );
    if (!rows[0]) throw new LeaseConflictError(`update lease ${this.description}: it changed since it was read`);
    return toVersioned(rows[0]);
  }
}

/** A group's leases as read now, with the database's clock at the read (epoch ms). */
export async function listLeases(pool: pg.Pool, group: string): Promise<{ now: number; leases: { name: string; lease: VersionedLease }[] }> {
  const { rows } = await pool.query<LeaseRow>(`SELECT ${COLUMNS} FROM leases WHERE "group" = $1 ORDER BY name`, [group]);
  const { rows: clock } = rows.length > 0 ? { rows: [rows[0]] } : await pool.query<{ now: number }>("SELECT date_part('epoch', now()) * 1000 AS now");
  return { now: Math.round(clock[0].now), leases: rows.map((r) => ({ name: r.name, lease: toVersioned(r) })) };
}
