"use client";

import { type ReactNode, useState } from "react";
import { Banner } from "../../../components/Banner";
import { ChartSkeleton } from "../../../components/charts/ChartFrame";
import { Sparkline } from "../../../components/charts/Sparkline";
import { LazyTimeSeriesChart as TimeSeriesChart } from "../../../components/charts/LazyTimeSeriesChart";
import { formatTime } from "../../../components/format/time";
import { AutoRefreshToggle } from "../../../components/controls/AutoRefreshToggle";
import { ThemeToggle } from "../../../components/controls/ThemeToggle";
import { TimeRangePicker } from "../../../components/controls/TimeRangePicker";
import { formatDuration, parseDuration } from "../../../shared/duration";
import { type ChannelFormValues, ChannelForm, emptyChannelFormValues } from "../../../components/forms/ChannelForm";
import { pairsToRecord } from "../../../components/forms/key-values";
import { RuleForm } from "../../../components/forms/RuleForm";
import { emptyRuleFormValues, type RuleFormValues, ruleExpression } from "../../../components/forms/rule-values";
import { newSilenceValues, SilenceForm, type SilenceFormValues } from "../../../components/forms/SilenceForm";
import { emptyTargetFormValues, TargetForm, type TargetFormValues } from "../../../components/forms/TargetForm";
import { useDashboardUrlState } from "../../../components/hooks/use-dashboard-url-state";
import { useUrlState } from "../../../components/hooks/use-url-state";
import { FullCaptureControl } from "../../../components/leaks/FullCaptureControl";
import { ResourceDiffTable } from "../../../components/leaks/ResourceDiffTable";
import { ControllerCard } from "../../../components/overview/ControllerCard";
import { AlertHistoryTable } from "../../../components/tables/AlertHistoryTable";
import { type AlertRow, AlertsTable } from "../../../components/tables/AlertsTable";
import { ChannelsTable } from "../../../components/tables/ChannelsTable";
import { DeliveriesTable } from "../../../components/tables/DeliveriesTable";
import { KeysInProcessingTable } from "../../../components/tables/KeysInProcessingTable";
import { RecentErrorsTable } from "../../../components/tables/RecentErrorsTable";
import { RulesTable } from "../../../components/tables/RulesTable";
import { SilencesTable } from "../../../components/tables/SilencesTable";
import { SuspectGroupsTable } from "../../../components/tables/SuspectGroupsTable";
import { TargetsTable } from "../../../components/tables/TargetsTable";
import { TopKeysTable } from "../../../components/tables/TopKeysTable";
import {
  ANNOTATIONS,
  ANOMALIES,
  DURATION_ANOMALIES,
  durations,
  GALLERY_NOW,
  GALLERY_RANGE,
  heapBytes,
  queueDepth,
  results,
  spark,
  workers,
} from "./synthetic";

// Built once: stable identities keep the charts from recomputing on every render.
const DEPTH = queueDepth();
const DURATIONS = durations();
const RESULTS = results();
const WORKERS = workers();
const HEAP = heapBytes();
const DEPTH_SERIES = [{ name: "depth", points: DEPTH.points }];
const DEPTH_BAND = { points: DEPTH.band };
const DURATION_SERIES = [
  { name: "p50", points: DURATIONS.p50 },
  { name: "p99", points: DURATIONS.p99 },
];
const DURATION_BAND = { points: DURATIONS.band };
const RESULT_SERIES = [
  { name: "success", points: RESULTS.success, color: "var(--ok)" },
  { name: "requeue", points: RESULTS.requeue, color: "var(--accent)" },
  { name: "error", points: RESULTS.error, color: "var(--bad)" },
];
const WORKER_SERIES = [{ name: "active", points: WORKERS }];
const HEAP_SERIES = [{ name: "heap used", points: HEAP }];
const MIN = 60_000;

const ALERTS: AlertRow[] = [
  {
    id: "a1",
    ruleName: "QueueDepthHigh",
    state: "firing",
    labels: { alertname: "QueueDepthHigh", controller: "pods", severity: "warning" },
    summary: "Queue depth of pods above 40 for 5m",
    value: 47,
    unit: "count",
    activeAt: GALLERY_NOW - 22 * MIN,
    firedAt: GALLERY_NOW - 17 * MIN,
  },
  {
    id: "a2",
    ruleName: "ReconcileLatencyHigh",
    state: "pending",
    labels: { alertname: "ReconcileLatencyHigh", controller: "configmaps" },
    value: 0.734,
    unit: "s",
    activeAt: GALLERY_NOW - 2 * MIN,
  },
  {
    id: "a3",
    ruleName: "LeakSuspected",
    state: "firing",
    labels: { alertname: "LeakSuspected", type: "Timeout" },
    value: 312,
    unit: "count",
    activeAt: GALLERY_NOW - 90 * MIN,
    firedAt: GALLERY_NOW - 80 * MIN,
    silenced: true,
  },
];

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="gallery-item panel" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A stand-in for server-side validation, to show how errors come back into the forms. */
function validateRule(v: RuleFormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!v.name.trim()) errors.name = "Give the rule a name.";
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(v.metric)) errors.metric = "Not a metric name (letters, digits, _ and :).";
  if (v.value.trim() === "" || Number.isNaN(Number(v.value))) errors.value = "Enter a number.";
  if (parseDuration(v.for) === undefined) errors.for = "Use a duration such as 30s, 5m or 1h.";
  if (parseDuration(v.keepFiringFor) === undefined) errors.keepFiringFor = "Use a duration such as 0s or 10m.";
  v.matchers.forEach((m, i) => {
    if (!m.name.trim()) errors[`matchers.${i}`] = "Label name is required.";
  });
  return errors;
}

export function Gallery() {
  const view = useDashboardUrlState();
  const [tabs, setTabs] = useUrlState({ tab: "charts" });
  const [zoom, setZoom] = useState<string | null>(null);
  const [rule, setRule] = useState<RuleFormValues>({ ...emptyRuleFormValues(), name: "QueueDepthHigh", metric: "workqueue_depth", value: "" });
  const [ruleErrors, setRuleErrors] = useState<Record<string, string>>({});
  const [submitted, setSubmitted] = useState<string | null>(null);
  const [silence, setSilence] = useState<SilenceFormValues>(() => newSilenceValues(GALLERY_NOW, ALERTS[0].labels));
  const [channel, setChannel] = useState<ChannelFormValues>({ ...emptyChannelFormValues(), name: "team-slack" });
  const [target, setTarget] = useState<TargetFormValues>({ ...emptyTargetFormValues(), name: "cert-manager", url: "http://cert-manager.svc:9402/metrics", authKind: "bearer" });
  const [capture, setCapture] = useState<number | null>(null);
  const [silenced, setSilenced] = useState<string | null>(null);

  return (
    <>
      <Section title="Banners">
        <Banner kind="demo">Running on the built-in demo cluster: objects and faults are simulated.</Banner>
        <Banner kind="degraded" action={<a href="/">Status</a>}>
          PostgreSQL is unreachable; 12,480 samples are buffered and will be written on recovery.
        </Banner>
        <Banner kind="dropped">3,200 samples were dropped because the buffer was full.</Banner>
      </Section>

      <Section title="Controls (state in the URL)">
        <div className="view-toolbar">
          <TimeRangePicker value={view.selection} onChange={view.setSelection} now={view.now} />
          <AutoRefreshToggle intervalMs={view.refresh.intervalMs} paused={view.refresh.paused} onChange={view.setRefresh} />
          <ThemeToggle />
        </div>
        <p className="muted" data-testid="resolved-range">
          Resolved range: {formatTime(view.range.from, "MMM d HH:mm:ss")} → {formatTime(view.range.to, "MMM d HH:mm:ss")} · refresh{" "}
          {view.refresh.paused ? "paused" : `every ${formatDuration(view.refresh.intervalMs)}`}
        </p>
        <fieldset className="control-group segmented-tabs">
          <legend className="control-label">Tab (in the URL as ?tab=)</legend>
          <span className="segmented">
            {["charts", "tables", "forms"].map((t) => (
              <button key={t} type="button" aria-pressed={tabs.tab === t} onClick={() => setTabs({ tab: t })}>
                {t}
              </button>
            ))}
          </span>
        </fieldset>
      </Section>

      <Section title="Overview cards and sparklines">
        <div className="controller-grid">
          <ControllerCard
            name="pods"
            kind="built-in"
            health="failing"
            reasons={[
              { kind: "anomaly", text: "anomaly: Queue depth — pods above its expected range", href: "/controllers/pods#series-queue-depth", since: GALLERY_NOW - 17 * 60_000 },
              { kind: "alert", text: "alert QueueDepthHigh firing (warning)", href: "/alerts?alert=example", since: GALLERY_NOW - 17 * 60_000 },
            ]}
            depthPoints={DEPTH.points}
            reconcileP99Points={DURATIONS.p99}
            workersBusy={5}
            workersMax={5}
            firingAlerts={1}
            openAnomalies={1}
            leakSuspects={0}
            href="/controllers/pods"
            now={GALLERY_NOW}
          />
          <ControllerCard
            name="configmaps"
            kind="built-in"
            health="degraded"
            reasons={[{ kind: "anomaly", text: "anomaly: Work duration p99 — configmaps above its expected range", href: "/controllers/configmaps", since: null }]}
            depthPoints={spark(2, 3)}
            reconcileP99Points={spark(4, 0.2, 0.01)}
            workersBusy={2}
            workersMax={4}
            firingAlerts={0}
            openAnomalies={1}
            leakSuspects={2}
            href="/controllers/configmaps"
            now={GALLERY_NOW}
          />
          <ControllerCard
            name="cert-manager/certificates"
            kind="scraped"
            health="ok"
            reasons={[]}
            depthPoints={spark(9, 1)}
            reconcileP99Points={spark(10, 0.004)}
            workersBusy={0}
            workersMax={1}
            firingAlerts={0}
            openAnomalies={0}
            leakSuspects={0}
            href="/controllers/cert-manager-certificates"
            now={GALLERY_NOW}
          />
        </div>
        <p>
          Sparkline alone: <Sparkline points={spark(12, 10, 0.5)} label="example sparkline" width={120} height={28} /> · empty:{" "}
          <Sparkline points={[]} label="empty sparkline" width={120} height={28} />
        </p>
      </Section>

      <Section title="Time series charts (synced crosshair; drag to zoom)">
        <p className="muted" data-testid="zoom-result">
          {zoom ?? "Drag across a chart to select a range."}
        </p>
        <div className="chart-grid">
          <TimeSeriesChart
            title="Queue depth"
            unit="count"
            series={DEPTH_SERIES}
            band={DEPTH_BAND}
            anomalyWindows={ANOMALIES}
            annotations={ANNOTATIONS}
            range={GALLERY_RANGE}
            syncId="gallery"
            onZoom={(from, to) => setZoom(`Zoom selected: ${formatTime(from, "HH:mm:ss")} → ${formatTime(to, "HH:mm:ss")}`)}
          />
          <TimeSeriesChart
            title="Reconcile duration p50/p99"
            unit="s"
            series={DURATION_SERIES}
            band={DURATION_BAND}
            anomalyWindows={DURATION_ANOMALIES}
            range={GALLERY_RANGE}
            syncId="gallery"
            onZoom={(from, to) => setZoom(`Zoom selected: ${formatTime(from, "HH:mm:ss")} → ${formatTime(to, "HH:mm:ss")}`)}
          />
          <TimeSeriesChart title="Reconcile results" unit="ops/s" series={RESULT_SERIES} stacked range={GALLERY_RANGE} syncId="gallery" />
          <TimeSeriesChart
            title="Active workers vs max"
            unit="count"
            series={WORKER_SERIES}
            thresholds={[{ value: 5, label: "max 5", color: "var(--muted)" }]}
            range={GALLERY_RANGE}
            syncId="gallery"
          />
          <TimeSeriesChart title="Heap used (with a scrape gap)" unit="bytes" series={HEAP_SERIES} range={GALLERY_RANGE} syncId="gallery" />
          <TimeSeriesChart title="Loading example" unit="s" series={[]} range={GALLERY_RANGE} loading />
          <TimeSeriesChart title="Empty example" unit="ops/s" series={[{ name: "adds", points: [] }]} range={GALLERY_RANGE} />
          <TimeSeriesChart title="Error example" unit="count" series={[]} range={GALLERY_RANGE} error="query timed out after 10s" />
          <ChartSkeleton title="Skeleton placeholder" height={120} />
        </div>
      </Section>

      <Section title="Controller detail tables">
        <h3>Keys in processing</h3>
        <KeysInProcessingTable
          now={GALLERY_NOW}
          rows={[
            { key: "default/web-7f9c", controller: "pods", startedAt: GALLERY_NOW - 92_000, runningMs: 92_000, requeues: 3, reconcileId: "r1" },
            { key: "kube-system/coredns-5d", controller: "pods", startedAt: GALLERY_NOW - 840, runningMs: 840, requeues: 0, reconcileId: "r2" },
            { key: "default/api-66b1", controller: "pods", startedAt: GALLERY_NOW - 12_500, runningMs: 12_500, reconcileId: "r3" },
          ]}
        />
        <div className="chart-grid">
          <TopKeysTable
            title="Top retried keys"
            countLabel="Retries"
            showLastError
            now={GALLERY_NOW}
            rows={[
              { key: "default/web-7f9c", count: 41, lastAt: GALLERY_NOW - 15_000, lastError: "conflict: the object has been modified" },
              { key: "prod/payments-0", count: 12, lastAt: GALLERY_NOW - 65_000, lastError: "context deadline exceeded" },
              { key: "default/api-66b1", count: 3, lastAt: GALLERY_NOW - 400_000, lastError: null },
            ]}
          />
          <TopKeysTable
            title="Hot keys"
            countLabel="Reconciles"
            now={GALLERY_NOW}
            rows={[
              { key: "default/web-7f9c", count: 1_204, lastAt: GALLERY_NOW - 1_000 },
              { key: "kube-system/coredns-5d", count: 388, lastAt: GALLERY_NOW - 9_000 },
            ]}
          />
        </div>
        <h3>Recent errors</h3>
        <RecentErrorsTable
          now={GALLERY_NOW}
          rows={[
            { at: GALLERY_NOW - 15_000, controller: "pods", key: "default/web-7f9c", message: "Operation cannot be fulfilled on pods \"web-7f9c\": the object has been modified; please apply your changes to the latest version and try again" },
            { at: GALLERY_NOW - 65_000, controller: "pods", key: "prod/payments-0", message: "context deadline exceeded", terminal: true },
          ]}
        />
        <h3>Empty state</h3>
        <KeysInProcessingTable rows={[]} />
      </Section>

      <Section title="Leaks">
        <FullCaptureControl
          active={capture !== null}
          until={capture}
          now={GALLERY_NOW}
          onStart={(m) => setCapture(GALLERY_NOW + m * MIN)}
          onStop={() => setCapture(null)}
        />
        <SuspectGroupsTable
          rows={[
            {
              id: "g1",
              type: "Timeout",
              count: 312,
              growthPerMin: 4.2,
              controller: "configmaps",
              sampleKeys: ["default/app-config", "prod/feature-flags", "kube-system/coredns", "default/other"],
              stack: "at setInterval (node:timers:216:10)\n    at ConfigMapReconciler.startWatchdog (server/demo/reconcilers/configmaps.ts:42:5)\n    at ConfigMapReconciler.reconcile (server/demo/reconcilers/configmaps.ts:18:10)\n    at Controller.processNextItem (server/runtime/controller.ts:120:22)",
              oldestAgeMs: 41 * MIN,
            },
            { id: "g2", type: "TCPSocketWrap", count: 18, growthPerMin: 0.3, controller: "pods", sampleKeys: ["default/web-7f9c"], stack: null, oldestAgeMs: 9 * MIN },
          ]}
        />
        <h3>Diff between two times</h3>
        <ResourceDiffTable
          fromLabel="11:00"
          toLabel="12:00"
          rows={[
            { type: "Timeout", before: 60, after: 312 },
            { type: "TCPSocketWrap", before: 20, after: 18 },
            { type: "FSReqCallback", before: 2, after: 2 },
          ]}
        />
      </Section>

      <Section title="Alerts">
        <AlertsTable rows={ALERTS} now={GALLERY_NOW} onSilence={(a) => { setSilenced(a.ruleName); setSilence(newSilenceValues(GALLERY_NOW, a.labels)); }} />
        {silenced ? <p className="muted">Silence requested for {silenced} (form below is pre-filled).</p> : null}
        <h3>History</h3>
        <AlertHistoryTable
          now={GALLERY_NOW}
          rows={[
            { id: 1, at: GALLERY_NOW - 17 * MIN, ruleName: "QueueDepthHigh", state: "firing", labels: { controller: "pods" }, value: 44, unit: "count" },
            { id: 2, at: GALLERY_NOW - 22 * MIN, ruleName: "QueueDepthHigh", state: "pending", labels: { controller: "pods" }, value: 41, unit: "count" },
            { id: 3, at: GALLERY_NOW - 70 * MIN, ruleName: "ReconcileErrors", state: "resolved", labels: { controller: "pods" }, value: 0.01, unit: "ratio" },
          ]}
        />
        <h3>Rules</h3>
        <RulesTable
          rows={[
            { id: 1, name: "QueueDepthHigh", kind: "threshold", expression: 'workqueue_depth{controller="pods"} > 40', forMs: 5 * MIN, enabled: true, builtin: false, firing: 1 },
            { id: 2, name: "ReconcileLatencyHigh", kind: "threshold", expression: "histogram_quantile(0.99, sum by (le) (rate(controller_runtime_reconcile_time_seconds_bucket))) > 0.5", forMs: 2 * MIN, enabled: true, builtin: true, pending: 1 },
            { id: 3, name: "QueueAnomaly", kind: "anomaly", expression: "anomaly(workqueue_depth) score > 0.8", forMs: 0, enabled: false, builtin: true },
          ]}
          onEdit={() => undefined}
          onToggle={() => undefined}
          onDelete={() => undefined}
        />
        <h3>Silences</h3>
        <SilencesTable
          now={GALLERY_NOW}
          onExpire={() => undefined}
          rows={[
            { id: 1, matchers: [{ name: "alertname", op: "=", value: "LeakSuspected" }], startsAt: GALLERY_NOW - 80 * MIN, endsAt: GALLERY_NOW + 40 * MIN, createdBy: "sre@example.com", comment: "known leak, fix in v1.4" },
            { id: 2, matchers: [{ name: "controller", op: "=~", value: "cert-.*" }], startsAt: GALLERY_NOW - 300 * MIN, endsAt: GALLERY_NOW - 60 * MIN, createdBy: "ana", comment: "maintenance" },
          ]}
        />
        <h3>Channels and deliveries</h3>
        <ChannelsTable
          now={GALLERY_NOW}
          onSendTest={() => undefined}
          onEdit={() => undefined}
          rows={[
            { id: 1, name: "team-slack", kind: "slack", urlMasked: "https://hooks.slack.com/…/****", groupBy: ["alertname", "controller"], enabled: true, lastDelivery: { state: "delivered", at: GALLERY_NOW - 17 * MIN }, testResult: { ok: true, message: "Test delivered (HTTP 200)" } },
            { id: 2, name: "oncall-webhook", kind: "webhook", urlMasked: "https://hooks.example.com/…/****", groupBy: ["alertname"], enabled: true, lastDelivery: { state: "dead", at: GALLERY_NOW - 30 * MIN } },
          ]}
        />
        <DeliveriesTable
          now={GALLERY_NOW}
          onRetry={() => undefined}
          rows={[
            { id: 11, channelName: "team-slack", status: "firing", state: "delivered", attempts: 1, createdAt: GALLERY_NOW - 17 * MIN, deliveredAt: GALLERY_NOW - 17 * MIN + 300, nextAttemptAt: null, lastError: null, lastStatusCode: 200 },
            { id: 12, channelName: "oncall-webhook", status: "firing", state: "dead", attempts: 8, createdAt: GALLERY_NOW - 60 * MIN, deliveredAt: null, nextAttemptAt: null, lastError: "connect ECONNREFUSED 10.0.0.7:443", lastStatusCode: null },
            { id: 13, channelName: "oncall-webhook", status: "resolved", state: "failed", attempts: 2, createdAt: GALLERY_NOW - 3 * MIN, deliveredAt: null, nextAttemptAt: GALLERY_NOW + 20_000, lastError: "Service Unavailable", lastStatusCode: 503 },
          ]}
        />
      </Section>

      <Section title="Forms">
        <div className="chart-grid">
          <div>
            <h3>Threshold rule (submit to see validation)</h3>
            <RuleForm
              values={rule}
              onChange={setRule}
              errors={ruleErrors}
              metricOptions={["workqueue_depth", "workqueue_adds_total", "workqueue_work_duration_seconds", "controller_runtime_reconcile_total"]}
              onSubmit={(v) => {
                const errors = validateRule(v);
                setRuleErrors(errors);
                setSubmitted(Object.keys(errors).length === 0 ? `${ruleExpression(v)} ${JSON.stringify(pairsToRecord(v.labels))}` : null);
              }}
              onCancel={() => setRuleErrors({})}
            />
            {submitted ? <p data-testid="rule-submitted">Submitted: <code>{submitted}</code></p> : null}
          </div>
          <div>
            <h3>Silence</h3>
            <SilenceForm values={silence} onChange={setSilence} onSubmit={() => undefined} matchingAlerts={1} errors={{ createdBy: "Say who is silencing this." }} />
          </div>
          <div>
            <h3>Channel (edit; the stored URL is only shown masked)</h3>
            <ChannelForm values={channel} onChange={setChannel} onSubmit={() => undefined} mode="edit" maskedUrl="https://hooks.slack.com/…/****" />
          </div>
          <div>
            <h3>Scrape target</h3>
            <TargetForm values={target} onChange={setTarget} onSubmit={() => undefined} mode="create" errors={{ url: "The URL must use http or https." }} />
          </div>
        </div>
        <h3>Targets</h3>
        <TargetsTable
          now={GALLERY_NOW}
          onEdit={() => undefined}
          onRemove={() => undefined}
          rows={[
            { id: 1, name: "cert-manager", url: "http://cert-manager.svc:9402/metrics", up: true, enabled: true, intervalMs: 15_000, lastScrapeAt: GALLERY_NOW - 4_000, lastDurationMs: 18.4, lastSamples: 1_482, lastError: null, origin: "api" },
            { id: 2, name: "flux-source", url: "http://source-controller.flux-system:8080/metrics", up: false, enabled: true, intervalMs: 30_000, lastScrapeAt: GALLERY_NOW - 12_000, lastDurationMs: 10_000, lastSamples: 0, lastError: "context deadline exceeded (timeout 10s)", origin: "config" },
            { id: 3, name: "new-target", url: "http://127.0.0.1:9999/metrics", up: null, enabled: true, intervalMs: 15_000, lastScrapeAt: null, lastDurationMs: null, lastSamples: null, lastError: null },
          ]}
        />
      </Section>
    </>
  );
}
