"use client";

import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useMemo } from "react";
import { useNow } from "../../components/hooks/use-now";
import { type AlertRow, AlertsTable } from "../../components/tables/AlertsTable";
import { useTRPC } from "../_trpc/client";
import type { AlertsViewState, SetAlertsView } from "./AlertsView";
import { type AlertItem, toMs } from "./api-types";
import { QueryStatus } from "./QueryStatus";

// The silence form (with the regex engine that previews its matchers) loads when it is opened.
const SilenceEditor = dynamic(() => import("./SilenceEditor").then((m) => m.SilenceEditor), { loading: () => <p className="muted">Loading the silence form…</p> });

/** An API alert as an AlertsTable row (only pending and firing alerts are rows). */
export function alertRow(a: AlertItem): AlertRow | null {
  if (a.state !== "pending" && a.state !== "firing") return null;
  return {
    id: a.fingerprint,
    ruleName: a.ruleName ?? a.labels.alertname ?? `rule ${a.ruleId}`,
    state: a.state,
    labels: a.labels,
    summary: a.annotations.summary,
    value: a.value,
    activeAt: toMs(a.activeAt) ?? 0,
    firedAt: toMs(a.firedAt),
    silenced: a.silencedBy.length > 0,
  };
}

/** Firing and pending alerts (refreshed every 5 s); "Silence" opens a SilenceForm pre-filled with the alert's labels. */
export function ActiveAlertsPanel({ view, setView }: { view: AlertsViewState; setView: SetAlertsView }) {
  const trpc = useTRPC();
  const tick = useNow(5_000);
  const alerts = useQuery({ ...trpc.alerts.list.queryOptions({ states: ["pending", "firing"] }), refetchInterval: 5_000 });
  const now = Math.max(tick, alerts.dataUpdatedAt);
  const rows = useMemo(() => (alerts.data ?? []).map(alertRow).filter((r): r is AlertRow => r !== null), [alerts.data]);
  const silencing = view.silence ? alerts.data?.find((a) => a.fingerprint === view.silence) : undefined;
  const inhibited = alerts.data?.filter((a) => a.inhibited).length ?? 0;

  return (
    <QueryStatus what="alerts" isPending={alerts.isPending} error={alerts.error}>
      <div className="panel">
        <h2>Firing and pending</h2>
        <AlertsTable rows={rows} now={now} onSilence={(row) => setView({ silence: row.id })} />
        {inhibited > 0 ? (
          <p className="muted">
            {inhibited} alert{inhibited === 1 ? " is" : "s are"} inhibited by a more severe alert and not sent.
          </p>
        ) : null}
      </div>
      {view.silence && (silencing || view.silence === "new") ? (
        <SilenceEditor
          key={view.silence}
          labels={silencing?.labels}
          currentAlerts={alerts.data?.map((a) => a.labels)}
          onDone={() => setView({ silence: null })}
        />
      ) : null}
      {view.silence && view.silence !== "new" && !silencing && alerts.data ? (
        <p className="muted" role="status">
          That alert is no longer firing or pending.{" "}
          <button type="button" onClick={() => setView({ silence: null })}>
            Close
          </button>
        </p>
      ) : null}
    </QueryStatus>
  );
}
