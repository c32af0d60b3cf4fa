import type { ReactNode } from "react";

export type BadgeTone = "ok" | "warn" | "bad" | "muted" | "accent";

/** A small coloured label. The text carries the meaning; colour only reinforces it. */
export function Badge({ tone, children, title }: { tone: BadgeTone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export type Health = "ok" | "degraded" | "failing";

const HEALTH_TONE: Record<Health, BadgeTone> = { ok: "ok", degraded: "warn", failing: "bad" };

/** A controller's or target's health. */
export function HealthBadge({ health }: { health: Health }) {
  return (
    <span className={`badge badge-${HEALTH_TONE[health]}`} data-health={health}>
      {health}
    </span>
  );
}
