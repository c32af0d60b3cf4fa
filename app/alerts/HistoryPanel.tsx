"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useNow } from "../../components/hooks/use-now";
import { type AlertEventRow, AlertHistoryTable } from "../../components/tables/AlertHistoryTable";
import { useTRPC } from "../_trpc/client";
import { toMs } from "./api-types";
import { QueryStatus } from "./QueryStatus";

const STATES = new Set(["pending", "firing", "resolved"]);

/** The last 500 alert transitions, newest first, with rule names. */
export function HistoryPanel() {
  const trpc = useTRPC();
  const tick = useNow(15_000);
  const history = useQuery({ ...trpc.alerts.history.queryOptions({ limit: 500 }), refetchInterval: 15_000 });
  const rules = useQuery(trpc.alerts.rules.list.queryOptions());
  const now = Math.max(tick, history.dataUpdatedAt);
  const rows = useMemo<AlertEventRow[]>(() => {
    const names = new Map((rules.data?.rules ?? []).map((r) => [r.id, r.name]));
    return (history.data ?? [])
      .filter((e) => STATES.has(e.state))
      .map((e) => ({
        id: e.id,
        at: toMs(e.at) ?? 0,
        ruleName: names.get(e.ruleId) ?? e.labels.alertname ?? `rule ${e.ruleId}`,
        state: e.state as AlertEventRow["state"],
        labels: e.labels,
        value: e.value,
      }));
  }, [history.data, rules.data]);
  return (
    <QueryStatus what="alert history" isPending={history.isPending} error={history.error}>
      <div className="panel">
        <h2>History</h2>
        <AlertHistoryTable rows={rows} now={now} />
      </div>
    </QueryStatus>
  );
}
