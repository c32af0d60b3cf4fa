import Link from "next/link";
import { formatAgo } from "../format/time";
import { type Health, HealthBadge } from "../ui/Badge";

export interface VerdictReasonView {
  kind: string;
  text: string;
  href: string;
  since: number | null;
}

/**
 * A controller's verdict and its reasons, each a link to its evidence. The overview card and the
 * controller page both render this from the same server-computed verdict, so they say the same.
 * Links are not prefetched: each one (a chart at a window's time, an alert) would be a server
 * render competing with the page's own data request, for a link that is seldom followed.
 */
export function VerdictReasons({ health, reasons, now, testId = "verdict" }: { health: Health; reasons: readonly VerdictReasonView[]; now: number; testId?: string }) {
  return (
    <div className="verdict" data-testid={testId} data-health={health}>
      <HealthBadge health={health} />
      {reasons.length > 0 ? (
        <ul className="verdict-reasons" data-testid="health-reasons">
          {reasons.map((r) => (
            <li key={`${r.kind}-${r.href}-${r.text}`} data-kind={r.kind}>
              <Link prefetch={false} href={r.href}>{r.text}</Link>
              {r.since !== null ? <span className="muted"> · since {formatAgo(r.since, now)}</span> : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="verdict-reasons muted">All signals within expected range.</p>
      )}
    </div>
  );
}
