import type { ReactNode } from "react";

export type BannerKind = "demo" | "degraded" | "dropped" | "info";

export interface BannerProps {
  kind: BannerKind;
  /** Bold lead-in; defaults per kind. */
  title?: string;
  children?: ReactNode;
  /** e.g. a link or button on the right. */
  action?: ReactNode;
}

const DEFAULT_TITLE: Record<BannerKind, string> = {
  demo: "Demo cluster",
  degraded: "Database degraded",
  dropped: "Samples dropped",
  info: "Note",
};

const TONE: Record<BannerKind, string> = { demo: "demo", degraded: "bad", dropped: "warn", info: "info" };

/**
 * A page-wide notice: running on the simulated demo cluster, the database unavailable (samples are
 * buffered), or samples dropped because the buffer overflowed. Problems are announced to screen readers.
 */
export function Banner({ kind, title, children, action }: BannerProps) {
  const urgent = kind === "degraded" || kind === "dropped";
  return (
    <div className={`banner ${TONE[kind]}`} role={urgent ? "alert" : "status"} data-testid={`banner-${kind}`}>
      <div className="banner-text">
        <strong>{title ?? DEFAULT_TITLE[kind]}</strong>
        {children ? <> — {children}</> : null}
      </div>
      {action ? <div className="banner-action">{action}</div> : null}
    </div>
  );
}
