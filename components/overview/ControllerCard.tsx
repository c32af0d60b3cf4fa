import Link from "next/link";
import { HoverSparkline } from "../charts/HoverSparkline";
import { slugify } from "../charts/series-data";
import type { SeriesPoint } from "../charts/types";
import { formatValue } from "../format/units";
import { Badge, type Health } from "../ui/Badge";
import { VerdictReasons, type VerdictReasonView } from "./VerdictReasons";

export interface ControllerCardProps {
  name: string;
  /** built-in: reconciled by this process; scraped: read from another controller's /metrics; prometheus: read from the Prometheus data source. */
  kind: "built-in" | "scraped" | "prometheus";
  health: Health;
  /** Why the verdict is not ok, each linking to its evidence (empty when ok). */
  reasons: readonly VerdictReasonView[];
  /** Queue depth over the selected range. */
  depthPoints: readonly SeriesPoint[];
  /** Reconcile time p99 in seconds over the same range. */
  reconcileP99Points: readonly SeriesPoint[];
  workersBusy: number;
  workersMax: number;
  firingAlerts: number;
  openAnomalies: number;
  leakSuspects: number;
  /** The controller's detail page (with the current range). */
  href: string;
  /** A query string to keep (the selected range) on the links. */
  search?: string;
  now: number;
}

function lastFinite(points: readonly SeriesPoint[]): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i][1];
    if (v !== null && Number.isFinite(v)) return v;
  }
  return null;
}

const SOURCE_TITLE = {
  "built-in": "Reconciled by this Loopscope process",
  scraped: "Scraped by Loopscope from the controller's /metrics",
  prometheus: "Read in place from the Prometheus data source (LOOPSCOPE_PROMETHEUS_URL)",
} as const;

const HEALTH_COLOR = { ok: "var(--ok)", degraded: "var(--warn)", failing: "var(--bad)" } as const;

/**
 * One controller on the overview: the verdict and its reasons (links to evidence), queue depth
 * and reconcile-time p99 sparklines with hover values, workers, and counts that link to what they count.
 */
export function ControllerCard(props: ControllerCardProps) {
  const { name, kind, health, reasons, depthPoints, reconcileP99Points, workersBusy, workersMax, firingAlerts, openAnomalies, leakSuspects, href, now } = props;
  const search = props.search ? `?${props.search}` : "";
  const busyRatio = workersMax > 0 ? Math.min(1, workersBusy / workersMax) : 0;
  const id = slugify(name);
  return (
    <article className={`controller-card health-${health}`} data-testid={`controller-card-${id}`} aria-labelledby={`cc-${id}`}>
      <header className="controller-card-header">
        <h3 id={`cc-${id}`}>
          <Link prefetch={false} href={`${href}${search}`}>{name}</Link>
        </h3>
        <span data-testid="source-badge" data-source={kind}>
          <Badge tone={kind === "prometheus" ? "accent" : "muted"} title={SOURCE_TITLE[kind]}>
            {kind}
          </Badge>
        </span>
      </header>
      <VerdictReasons health={health} reasons={reasons} now={now} />
      <div className="controller-card-sparks">
        <figure>
          <figcaption>
            Queue depth <strong data-testid="depth-value">{formatValue(lastFinite(depthPoints), "count", "exact")}</strong>
          </figcaption>
          <HoverSparkline points={depthPoints} unit="count" label={`${name} queue depth`} color={HEALTH_COLOR[health]} />
        </figure>
        <figure>
          <figcaption>
            p99 reconcile time <strong data-testid="p99-value">{formatValue(lastFinite(reconcileP99Points), "s")}</strong>
          </figcaption>
          <HoverSparkline points={reconcileP99Points} unit="s" label={`${name} reconcile time p99`} />
        </figure>
      </div>
      <dl className="controller-card-stats">
        <div>
          <dt>Workers</dt>
          <dd data-testid="workers">
            <Link prefetch={false} href={`${href}${search}#keys-in-processing`}>
              {workersBusy}/{workersMax}
            </Link>
            <meter className="workers-meter" min={0} max={1} value={busyRatio} aria-label={`${workersBusy} of ${workersMax} workers busy`} />
          </dd>
        </div>
        <div>
          <dt>Firing alerts</dt>
          <dd className={firingAlerts > 0 ? "status-failing" : undefined} data-testid="firing-alerts">
            <Link prefetch={false} href="/alerts?tab=active">{firingAlerts}</Link>
          </dd>
        </div>
        <div>
          <dt>Open anomalies</dt>
          <dd className={openAnomalies > 0 ? "status-degraded" : undefined} data-testid="open-anomalies">
            <Link prefetch={false} href={`${href}${search}#charts`}>{openAnomalies}</Link>
          </dd>
        </div>
        <div>
          <dt>Leak suspects</dt>
          <dd className={leakSuspects > 0 ? "status-degraded" : undefined} data-testid="leak-suspects">
            <Link prefetch={false} href={`/leaks?controller=${encodeURIComponent(name)}`}>{leakSuspects}</Link>
          </dd>
        </div>
      </dl>
    </article>
  );
}
