"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useNow } from "../../components/hooks/use-now";
import { SilencesTable } from "../../components/tables/SilencesTable";
import { useTRPC } from "../_trpc/client";
import type { AlertsViewState, SetAlertsView } from "./AlertsView";
import { QueryStatus } from "./QueryStatus";

// The silence form (with the regex engine that previews its matchers) loads when it is opened.
const SilenceEditor = dynamic(() => import("./SilenceEditor").then((m) => m.SilenceEditor), { loading: () => <p className="muted">Loading the silence form…</p> });

/** Silences (active, pending, expired) with "Expire", and a form for a new one. */
export function SilencesPanel({ view, setView }: { view: AlertsViewState; setView: SetAlertsView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tick = useNow(10_000);
  const silences = useQuery({ ...trpc.alerts.silences.list.queryOptions({}), refetchInterval: 10_000 });
  const alerts = useQuery(trpc.alerts.list.queryOptions({ states: ["pending", "firing"] }));
  const now = Math.max(tick, silences.dataUpdatedAt);
  const expire = useMutation(
    trpc.alerts.silences.expire.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() }) }),
  );
  return (
    <QueryStatus what="silences" isPending={silences.isPending} error={silences.error}>
      <div className="panel">
        <div className="table-toolbar">
          <h2>Silences</h2>
          {view.silence ? null : (
            <button type="button" className="primary" onClick={() => setView({ silence: "new" })}>
              New silence
            </button>
          )}
        </div>
        {expire.error ? (
          <p className="error" role="alert">
            Could not expire the silence: {expire.error.message}
          </p>
        ) : null}
        <SilencesTable rows={silences.data ?? []} now={now} onExpire={(row) => expire.mutate({ id: row.id })} />
      </div>
      {view.silence ? (
        <SilenceEditor
          key={view.silence}
          labels={alerts.data?.find((a) => a.fingerprint === view.silence)?.labels}
          currentAlerts={alerts.data?.map((a) => a.labels)}
          onDone={() => setView({ silence: null })}
        />
      ) : null}
    </QueryStatus>
  );
}
