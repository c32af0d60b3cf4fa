"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useMemo, useState } from "react";
import { LazyTimeSeriesChart as TimeSeriesChart } from "../../components/charts/LazyTimeSeriesChart";
import { formatTimestamp } from "../../components/format/time";
import { formatValue } from "../../components/format/units";
import { lastErrorText } from "../../components/tables/DeliveriesTable";
import { Badge } from "../../components/ui/Badge";
import { LabelChips } from "../../components/ui/LabelChips";
import { Timestamp } from "../../components/ui/Timestamp";
import { unpackSeries } from "../../server/dashboard/packed-series";
import { useTRPC } from "../_trpc/client";

// The silence form (with the regex engine that previews its matchers) loads when it is opened.
const SilenceEditor = dynamic(() => import("./SilenceEditor").then((m) => m.SilenceEditor), { loading: () => <p className="muted">Loading the silence form…</p> });

const STATE_TONE: Record<string, "bad" | "warn" | "muted"> = { firing: "bad", pending: "warn" };

/**
 * The page a notification's link opens (`/alerts?alert=<fingerprint>`): the alert's state, labels,
 * annotations and runbook, its rule's query charted over its life with the threshold, its state
 * changes, the notifications that carried it and their deliveries, and silence / unsilence.
 */
export function AlertDetail({ fingerprint, onClose }: { fingerprint: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = useQuery({ ...trpc.overview.alert.queryOptions({ fingerprint, width: 900 }), refetchInterval: 10_000, retry: false });
  const [silencing, setSilencing] = useState(false);
  const expire = useMutation(
    trpc.alerts.silences.expire.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.overview.alert.pathKey() }) }),
  );
  const d = detail.data;
  const series = useMemo(() => (d?.chart.series ?? []).map((s) => ({ name: s.name, points: unpackSeries(s.packed) })), [d?.chart.series]);
  const now = Date.now();
  if (detail.error) return <p className="error">Could not load alert {fingerprint}: {detail.error.message}</p>;
  if (!d) return <p className="muted">Loading alert {fingerprint}…</p>;
  const name = d.labels.alertname ?? d.rule?.name ?? fingerprint;
  return (
    <article className="panel alert-detail" data-testid="alert-detail" aria-labelledby="alert-detail-title">
      <div className="table-toolbar">
        <h2 id="alert-detail-title">
          Alert <span data-testid="alert-name">{name}</span> <Badge tone={STATE_TONE[d.state] ?? "muted"}>{d.state}</Badge>
          {d.silencedBy.length > 0 ? <Badge tone="muted">silenced</Badge> : null}
        </h2>
        <button type="button" onClick={onClose}>
          Back to all alerts
        </button>
      </div>
      {!d.found ? <p className="muted">No alert with fingerprint {fingerprint} is known (it may have been resolved and pruned).</p> : null}
      <dl className="kv">
        <dt>Labels</dt>
        <dd data-testid="alert-labels">
          <LabelChips labels={d.labels} />
        </dd>
        {Object.entries(d.annotations).map(([k, v]) => (
          <div key={k} className="kv-row">
            <dt>{k}</dt>
            <dd>{k === "runbook_url" ? null : v}</dd>
          </div>
        ))}
        <dt>Runbook</dt>
        <dd data-testid="alert-runbook">
          {d.runbookUrl ? (
            <a href={d.runbookUrl} rel="noreferrer noopener" target="_blank">
              {d.runbookUrl}
            </a>
          ) : (
            <span className="muted">none (add a runbook_url annotation to the rule)</span>
          )}
        </dd>
        <dt>Value</dt>
        <dd>{d.value === null ? "–" : formatValue(d.value, "none", "exact")}</dd>
        <dt>Active since</dt>
        <dd>{d.activeAt ? <Timestamp ts={d.activeAt} now={now} /> : "–"}</dd>
        <dt>Firing since</dt>
        <dd>{d.firedAt ? <Timestamp ts={d.firedAt} now={now} /> : "–"}</dd>
        {d.resolvedAt ? (
          <>
            <dt>Resolved</dt>
            <dd>
              <Timestamp ts={d.resolvedAt} now={now} />
            </dd>
          </>
        ) : null}
        <dt>Rule</dt>
        <dd data-testid="alert-rule">
          {d.rule ? (
            <>
              <Link href={`/alerts?tab=rules&rule=${d.rule.id}`}>{d.rule.name}</Link> <code className="wrap">{d.rule.expression}</code>
            </>
          ) : (
            "–"
          )}
        </dd>
      </dl>
      <TimeSeriesChart
        title={`${name} — rule query over the alert's life`}
        unit="none"
        series={series}
        range={{ from: d.chart.from, to: d.chart.to }}
        thresholds={d.chart.threshold ? [{ value: d.chart.threshold.value, label: `threshold ${d.chart.threshold.comparator} ${d.chart.threshold.value}`, color: "var(--bad)" }] : []}
        annotations={d.firedAt ? [{ start: d.firedAt, end: d.resolvedAt, label: name, state: d.resolvedAt ? "resolved" : "firing" }] : []}
        legendStats
      />
      {d.chart.note ? <p className="muted">{d.chart.note}</p> : null}
      <div className="form-actions" style={{ margin: "0.8rem 0" }}>
        {d.silencedBy.length > 0 ? (
          <button type="button" onClick={() => {
              for (const id of d.silencedBy) expire.mutate({ id });
            }} data-testid="unsilence" disabled={expire.isPending}>
            Unsilence (expire silence{d.silencedBy.length > 1 ? "s" : ""} {d.silencedBy.join(", ")})
          </button>
        ) : (
          <button type="button" onClick={() => setSilencing(true)} data-testid="silence-alert" disabled={silencing}>
            Silence this alert
          </button>
        )}
        {expire.error ? <span className="error">{expire.error.message}</span> : null}
      </div>
      {silencing ? <SilenceEditor labels={d.labels} onDone={() => setSilencing(false)} /> : null}
      <h3>State changes</h3>
      <ul className="alert-events" data-testid="alert-events">
        {d.events.length === 0 ? <li className="muted">None recorded.</li> : null}
        {d.events.map((e) => (
          <li key={`${e.state}-${e.at}`}>
            {formatTimestamp(e.at)} — {e.state}
            {e.value !== null ? ` (value ${formatValue(e.value, "none", "exact")})` : ""}
          </li>
        ))}
      </ul>
      <h3>Notifications and deliveries</h3>
      <div className="table-scroll">
        <table className="fit-table" data-testid="alert-notifications">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Channel</th>
              <th scope="col">Kind</th>
              <th scope="col">Delivery</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {d.notifications.length === 0 ? (
              <tr className="empty-row">
                <td colSpan={5} className="muted">
                  No notification has carried this alert (no channel, still in group wait, or silenced).
                </td>
              </tr>
            ) : null}
            {d.notifications.map((n) => (
              <tr key={n.id}>
                <td>
                  <Timestamp ts={n.createdAt} now={now} />
                </td>
                <td>{n.channel}</td>
                <td>{n.status}</td>
                <td>
                  {n.state} after {n.attempts} attempt{n.attempts === 1 ? "" : "s"}
                  {n.deliveredAt ? (
                    <>
                      {" "}
                      · <Timestamp ts={n.deliveredAt} now={now} />
                    </>
                  ) : null}
                </td>
                <td className="error-text">{lastErrorText(n)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}
