import Link from "next/link";
import { Sparkline } from "../charts/Sparkline";
import { slugify } from "../charts/series-data";
import type { SeriesPoint } from "../charts/types";
import { formatValue } from "../format/units";
import { Badge, type Health, HealthBadge } from "../ui/Badge";

export interface ControllerCardProps {
  name: string;
  /** built-in: reconciled by this process; scraped: read from another controller's /metrics. */
  kind: "built-in" | "scraped";
  health: Health;
  /** Why the health is not ok, one short sentence each (empty when ok). */
  reasons: readonly string[];
  /** Queue depth over the overview's range. */
  depthPoints: readonly SeriesPoint[];
  /** Reconcile duration p99 in seconds over the same range. */
  p99Points: readonly SeriesPoint[];
  workersBusy: number;
  workersMax: number;
  firingAlerts: number;
  openAnomalies: number;
  leakSuspects: number;
  /** The controller's detail page. */
  href: string;
}

function lastFinite(points: readonly SeriesPoint[]): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i][1];
    if (v !== null && Number.isFinite(v)) return v;
  }
  return null;
}

const HEALTH_COLOR = { ok: "var(--ok)", degraded: "var(--warn)", failing: "var(--bad)" } as const;

/**
 * One controller on the overview: health and why, queue depth and p99 sparklines, workers busy/max,
 * firing alerts, open anomaly windows and leak suspects. Server-renderable (no client state).
 */
export function ControllerCard(props: ControllerCardProps) {
  const { name, kind, health, reasons, depthPoints, p99Points, workersBusy, workersMax, firingAlerts, openAnomalies, leakSuspects, href } = props;
  const busyRatio = workersMax > 0 ? Math.min(1, workersBusy / workersMax) : 0;
  return (
    <article className={`controller-card health-${health}`} data-testid={`controller-card-${slugify(name)}`} aria-labelledby={`cc-${slugify(name)}`}>
      <header className="controller-card-header">
        <h3 id={`cc-${slugify(name)}`}>
          <Link href={href}>{name}</Link>
        </h3>
        <Badge tone="muted">{kind}</Badge>
        <HealthBadge health={health} />
      </header>
      {reasons.length > 0 ? (
        <ul className="controller-card-reasons" data-testid="health-reasons">
          {reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : (
        <p className="controller-card-reasons muted">All signals within expected range.</p>
      )}
      <div className="controller-card-sparks">
        <figure>
          <figcaption>
            Queue depth <strong data-testid="depth-value">{formatValue(lastFinite(depthPoints), "count", "exact")}</strong>
          </figcaption>
          <Sparkline points={depthPoints} label={`${name} queue depth`} color={HEALTH_COLOR[health]} />
        </figure>
        <figure>
          <figcaption>
            p99 reconcile <strong data-testid="p99-value">{formatValue(lastFinite(p99Points), "s")}</strong>
          </figcaption>
          <Sparkline points={p99Points} label={`${name} reconcile p99`} />
        </figure>
      </div>
      <dl className="controller-card-stats">
        <div>
          <dt>Workers</dt>
          <dd data-testid="workers">
            {workersBusy}/{workersMax}
            <meter className="workers-meter" min={0} max={1} value={busyRatio} aria-label={`${workersBusy} of ${workersMax} workers busy`} />
          </dd>
        </div>
        <div>
          <dt>Firing alerts</dt>
          <dd className={firingAlerts > 0 ? "status-failing" : undefined} data-testid="firing-alerts">
            {firingAlerts}
          </dd>
        </div>
        <div>
          <dt>Open anomalies</dt>
          <dd className={openAnomalies > 0 ? "status-degraded" : undefined} data-testid="open-anomalies">
            {openAnomalies}
          </dd>
        </div>
        <div>
          <dt>Leak suspects</dt>
          <dd className={leakSuspects > 0 ? "status-degraded" : undefined} data-testid="leak-suspects">
            {leakSuspects}
          </dd>
        </div>
      </dl>
    </article>
  );
}
