"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useMemo } from "react";
import { type RuleRow, RulesTable } from "../../components/tables/RulesTable";
import { useTRPC } from "../_trpc/client";
import type { AlertsViewState, SetAlertsView } from "./AlertsView";
import { QueryStatus } from "./QueryStatus";
import { ruleExpressionOf } from "./rule-mapping";

// The rule form (and its 24 h preview chart) loads when a rule is opened or created.
const RuleEditor = dynamic(() => import("./RuleEditor").then((m) => m.RuleEditor), { loading: () => <p className="muted">Loading the rule form…</p> });

/** Alert rules with their state (firing / pending counts), create / edit / enable / delete. */
export function RulesPanel({ view, setView }: { view: AlertsViewState; setView: SetAlertsView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rules = useQuery({ ...trpc.alerts.rules.list.queryOptions(), refetchInterval: 10_000 });
  const alerts = useQuery({ ...trpc.alerts.list.queryOptions({ states: ["pending", "firing"] }), refetchInterval: 5_000 });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
  const toggle = useMutation(trpc.alerts.rules.update.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(trpc.alerts.rules.delete.mutationOptions({ onSettled: invalidate }));

  const rows = useMemo<RuleRow[]>(() => {
    const firing = new Map<number, number>();
    const pending = new Map<number, number>();
    for (const a of alerts.data ?? []) {
      const counts = a.state === "firing" ? firing : a.state === "pending" ? pending : undefined;
      counts?.set(a.ruleId, (counts.get(a.ruleId) ?? 0) + 1);
    }
    return (rules.data?.rules ?? []).map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      expression: ruleExpressionOf(r),
      forMs: r.forMs,
      enabled: r.enabled,
      builtin: r.builtin,
      firing: firing.get(r.id) ?? 0,
      pending: pending.get(r.id) ?? 0,
      lastEvalAt: r.health?.lastEvalAt ?? null,
      lastError: r.health?.lastError ?? null,
      noData: r.noData,
    }));
  }, [rules.data, alerts.data]);

  const editing = view.rule && view.rule !== "new" ? rules.data?.rules.find((r) => String(r.id) === view.rule) : undefined;
  const actionError = toggle.error ?? remove.error;
  const broken = rules.data?.invalid ?? [];

  return (
    <QueryStatus what="rules" isPending={rules.isPending} error={rules.error}>
      {/* The form opens above the table, so it is on screen however many rules there are. */}
      {view.rule === "new" ? <RuleEditor key="new" onDone={() => setView({ rule: null })} /> : null}
      {editing ? <RuleEditor key={editing.id} rule={editing} onDone={() => setView({ rule: null })} /> : null}
      <div className="panel">
        <div className="table-toolbar">
          <h2>Rules</h2>
          {view.rule ? null : (
            <button type="button" className="primary" onClick={() => setView({ rule: "new" })}>
              New rule
            </button>
          )}
        </div>
        {actionError ? (
          <p className="error" role="alert">
            {actionError.message}
          </p>
        ) : null}
        <RulesTable
          rows={rows}
          now={Date.now()}
          onEdit={(row) => setView({ rule: String(row.id) })}
          onToggle={(row, enabled) => toggle.mutate({ id: row.id, patch: { enabled } })}
          onDelete={(row) => {
            if (window.confirm(`Delete the rule "${row.name}"?`)) remove.mutate({ id: row.id });
          }}
        />
        {broken.length > 0 ? (
          <div className="error" role="alert">
            <p>Stored rules that no longer validate (they are not evaluated):</p>
            <ul>
              {broken.map((b) => (
                <li key={b.id}>
                  <strong>{b.name}</strong>: {b.problems.join("; ")}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
      {view.rule && view.rule !== "new" && !editing && rules.data ? (
        <p className="muted" role="status">
          Rule {view.rule} does not exist.{" "}
          <button type="button" onClick={() => setView({ rule: null })}>
            Close
          </button>
        </p>
      ) : null}
    </QueryStatus>
  );
}
