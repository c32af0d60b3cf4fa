"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { AlertAnnotationView, ChartSeries } from "../../components/charts/types";
import { TimeSeriesChart } from "../../components/charts/TimeSeriesChart";
import { formatTimestamp } from "../../components/format/time";
import { formatDuration } from "../../shared/duration";
import { useTRPC } from "../_trpc/client";

const PREVIEW_HOURS = 24;

/** What to preview: a stored rule, or an unsaved draft (the rules.create input). */
export type PreviewRequest = { id: number } | { rule: Record<string, unknown> };

interface ThresholdQuery {
  metric: string;
  matchers: { name: string; op: "=" | "!=" | "=~" | "!~"; value: string }[];
  fn: "raw" | "rate" | "increase" | "deriv" | "histogram_quantile";
  q?: number;
  rangeMs?: number;
  agg?: "sum" | "avg" | "max" | "min";
  by?: string[];
}

/** The threshold query and value of a rule input, if it is a threshold rule (else the chart shows spans only). */
function thresholdOf(rule: Record<string, unknown> | undefined): { query: ThresholdQuery; value: number } | undefined {
  if (rule?.kind !== "threshold") return undefined;
  const spec = rule.spec as { query?: ThresholdQuery; value?: unknown } | undefined;
  if (!spec?.query || typeof spec.query.metric !== "string" || typeof spec.value !== "number") return undefined;
  return { query: spec.query, value: spec.value };
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels)
    .filter(([k]) => k !== "alertname")
    .map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(", ") : (labels.alertname ?? "alert");
}

/**
 * When the rule would have fired over the last 24 h (alerts.rules.preview: the live evaluator's
 * code replayed over recorded data), as firing spans over the rule's query and threshold.
 */
export function RulePreviewChart({ request, rule }: { request: PreviewRequest; rule?: Record<string, unknown> }) {
  const trpc = useTRPC();
  // The range is fixed when the preview is asked for, so the chart and the spans agree.
  const [range] = useState(() => {
    const to = Date.now();
    return { from: to - PREVIEW_HOURS * 3_600_000, to };
  });
  const threshold = thresholdOf(rule);
  const series = useQuery({
    ...trpc.query.range.queryOptions({
      metric: threshold?.query.metric ?? "up",
      matchers: threshold?.query.matchers ?? [],
      start: range.from,
      end: range.to,
      maxPoints: 500,
      fn: threshold?.query.fn ?? "raw",
      quantile: threshold?.query.q,
      windowMs: threshold?.query.rangeMs,
      aggregate: threshold?.query.agg ? { op: threshold.query.agg, by: threshold.query.by ?? [] } : undefined,
      maxSeries: 20,
    }),
    enabled: threshold !== undefined,
    staleTime: 60_000,
    retry: false,
  });

  // Asked after the series: a batched request answers when its slowest query does, and the
  // replay can take tens of seconds.
  const preview = useQuery({
    ...trpc.alerts.rules.preview.queryOptions({ ...request, hours: PREVIEW_HOURS }),
    enabled: threshold === undefined || !series.isPending,
    staleTime: 60_000,
    retry: false,
  });

  const chartSeries = useMemo<ChartSeries[]>(
    () => (series.data?.series ?? []).map((s) => ({ name: labelText(s.labels) || threshold?.query.metric || "value", points: s.points })),
    [series.data, threshold?.query.metric],
  );
  const annotations = useMemo<AlertAnnotationView[]>(
    () => (preview.data?.spans ?? []).map((s) => ({ start: s.start, end: s.end, label: labelText(s.labels), state: "firing" as const })),
    [preview.data],
  );
  const spans = preview.data?.spans ?? [];
  const error = preview.error?.message ?? series.error?.message ?? null;

  return (
    <div className="panel" data-testid="rule-preview">
      <h2>Preview: the last {PREVIEW_HOURS} h</h2>
      <TimeSeriesChart
        title={threshold ? threshold.query.metric : "Firing spans"}
        unit="none"
        series={threshold ? chartSeries : [{ name: "firing", points: [] }]}
        annotations={annotations}
        thresholds={threshold ? [{ value: threshold.value, label: `threshold ${threshold.value}`, color: "var(--bad)" }] : []}
        range={range}
        loading={threshold ? series.isPending : preview.isPending}
        error={error}
      />
      {preview.isPending ? (
        <p className="muted" aria-live="polite" data-testid="preview-pending">
          Replaying the rule over the last {PREVIEW_HOURS} h…
        </p>
      ) : null}
      {preview.data ? (
        <p data-testid="preview-summary">
          {spans.length === 0
            ? `Would not have fired in the last ${PREVIEW_HOURS} h (${preview.data.evaluations.toLocaleString("en-US")} evaluations, every ${formatDuration(preview.data.stepMs)}).`
            : `Would have fired ${spans.length} time${spans.length === 1 ? "" : "s"}: ${spans
                .slice(0, 5)
                .map((s) => `${labelText(s.labels)} from ${formatTimestamp(s.start)}${s.end === null ? " (still firing)" : ` to ${formatTimestamp(s.end)}`}`)
                .join("; ")}${spans.length > 5 ? "; …" : ""}.`}
          {preview.data.errors.length > 0 ? <span className="error"> Evaluation errors: {preview.data.errors.join("; ")}</span> : null}
        </p>
      ) : null}
    </div>
  );
}
