import type { Silence as SilenceRow } from "../store/generated/client";
import type { PrismaClient } from "../store/prisma";
import { matchersSchema } from "./matchers";
import { expiredTimes, type Silence, type SilenceInput, silenceInputSchema, type SilenceState, silenceState } from "./silences";

export interface SilenceView extends Silence {
  state: SilenceState;
}

export class SilenceError extends Error {
  constructor(
    message: string,
    readonly code: "invalid" | "not_found",
  ) {
    super(message);
    this.name = "SilenceError";
  }
}

function rowToSilence(row: SilenceRow): Silence {
  const matchers = matchersSchema.safeParse(row.matchers);
  return {
    id: row.id,
    matchers: matchers.success ? matchers.data : [],
    startsAt: row.startsAt.getTime(),
    endsAt: row.endsAt.getTime(),
    createdBy: row.createdBy,
    comment: row.comment,
    createdAt: row.createdAt.getTime(),
  };
}

/** Alertmanager-style silences in Postgres. Expired silences are kept for history. */
export class SilenceStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: () => number = Date.now,
  ) {}

  async list(filter: { state?: SilenceState } = {}): Promise<SilenceView[]> {
    const now = this.clock();
    const rows = await this.prisma.silence.findMany({ orderBy: { startsAt: "desc" }, take: 1_000 });
    return rows
      .map(rowToSilence)
      .map((s) => ({ ...s, state: silenceState(s, now) }))
      .filter((s) => !filter.state || s.state === filter.state);
  }

  /** Silences that are not expired at `now` (active or pending). */
  async current(now = this.clock()): Promise<Silence[]> {
    const rows = await this.prisma.silence.findMany({ where: { endsAt: { gt: new Date(now) } } });
    return rows.map(rowToSilence);
  }

  async create(input: SilenceInput): Promise<SilenceView> {
    const spec = silenceInputSchema.parse(input);
    const now = this.clock();
    const startsAt = spec.startsAt ?? now;
    if (spec.endsAt <= now) throw new SilenceError("endsAt: must be in the future.", "invalid");
    if (spec.endsAt <= startsAt) throw new SilenceError("endsAt: must be after startsAt.", "invalid");
    const row = await this.prisma.silence.create({
      data: {
        matchers: spec.matchers,
        startsAt: new Date(startsAt),
        endsAt: new Date(spec.endsAt),
        createdBy: spec.createdBy,
        comment: spec.comment,
      },
    });
    const silence = rowToSilence(row);
    return { ...silence, state: silenceState(silence, now) };
  }

  /** Ends a silence now (a pending one never starts). Expiring an expired silence is refused. */
  async expire(id: number): Promise<SilenceView> {
    const row = await this.prisma.silence.findUnique({ where: { id } });
    if (!row) throw new SilenceError(`Silence ${id} does not exist.`, "not_found");
    const now = this.clock();
    const times = expiredTimes(rowToSilence(row), now);
    if (!times) throw new SilenceError(`Silence ${id} has already expired.`, "invalid");
    const updated = await this.prisma.silence.update({ where: { id }, data: { startsAt: new Date(times.startsAt), endsAt: new Date(times.endsAt) } });
    const silence = rowToSilence(updated);
    return { ...silence, state: silenceState(silence, now) };
  }
}
