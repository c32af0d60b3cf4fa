import { z } from "zod";
import { isStorableMs } from "../time/epoch-ms";
import type { Labels } from "./labels";
import { type Matcher, matchersSchema, matchesAll } from "./matchers";

/** An Alertmanager silence: alerts matching all matchers are muted between startsAt and endsAt. */
export interface Silence {
  id: number;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

export type SilenceState = "pending" | "active" | "expired";

export function silenceState(silence: Pick<Silence, "startsAt" | "endsAt">, now: number): SilenceState {
  if (now < silence.startsAt) return "pending";
  if (now < silence.endsAt) return "active";
  return "expired";
}

/** Ids of the silences that mute this label set at `now`. */
export function silencedBy(silences: readonly Silence[], labels: Labels, now: number): number[] {
  return silences.filter((s) => silenceState(s, now) === "active" && matchesAll(s.matchers, labels)).map((s) => s.id);
}

function matchesEmpty(m: Matcher): boolean {
  return matchesAll([m], {});
}

const instant = z
  .union([z.number().int(), z.string().datetime({ offset: true }), z.date()], {
    message: "must be a time: an ISO 8601 date-time or milliseconds since the epoch",
  })
  .refine((value) => isStorableMs(toMs(value)), { message: "must be a time between the years 1 and 9999" });
function toMs(value: number | string | Date): number {
  return typeof value === "number" ? value : new Date(value).getTime();
}

/**
 * A new silence as the API accepts it. Like Alertmanager, at least one matcher must
 * not match the empty string (a silence must not mute everything), and the end must
 * be after the start and in the future.
 */
export const silenceInputSchema = z
  .object({
    matchers: matchersSchema.min(1, "needs at least one matcher"),
    startsAt: instant.optional(),
    endsAt: instant,
    createdBy: z.string({ message: "is required: who creates the silence" }).trim().min(1, "must not be empty").max(256, "must be at most 256 characters"),
    comment: z.string({ message: "is required: why alerts are silenced" }).trim().min(1, "must not be empty").max(4_096, "must be at most 4096 characters"),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.matchers.length > 0 && input.matchers.every(matchesEmpty)) {
      ctx.addIssue({ code: "custom", path: ["matchers"], message: "at least one matcher must not match the empty string (it would silence every alert)" });
    }
    if (input.startsAt !== undefined && toMs(input.endsAt) <= toMs(input.startsAt)) {
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
    }
  })
  .transform((input) => ({
    matchers: input.matchers,
    startsAt: input.startsAt === undefined ? undefined : toMs(input.startsAt),
    endsAt: toMs(input.endsAt),
    createdBy: input.createdBy,
    comment: input.comment,
  }));

export type SilenceInput = z.input<typeof silenceInputSchema>;
export type SilenceSpec = z.output<typeof silenceInputSchema>;

/** The times after expiring a silence at `now`, as Alertmanager does: a pending one never starts. */
export function expiredTimes(silence: Pick<Silence, "startsAt" | "endsAt">, now: number): { startsAt: number; endsAt: number } | undefined {
  const state = silenceState(silence, now);
  if (state === "expired") return undefined;
  if (state === "pending") return { startsAt: now, endsAt: now };
  return { startsAt: silence.startsAt, endsAt: now };
}
