"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { ChannelForm, type ChannelFormValues, emptyChannelFormValues } from "../../components/forms/ChannelForm";
import { useNow } from "../../components/hooks/use-now";
import { type ChannelRow, ChannelsTable } from "../../components/tables/ChannelsTable";
import { useTRPC } from "../_trpc/client";
import type { AlertsViewState, SetAlertsView } from "./AlertsView";
import { type ChannelItem, toMs } from "./api-types";
import { channelCreateInput, channelFieldMapper, channelPatch, channelValuesFrom } from "./channel-mapping";
import { type FieldErrors, formErrorsFrom } from "./form-errors";
import { QueryStatus } from "./QueryStatus";

type TestOutcome = { ok: boolean; message: string };

/** Channels with their last delivery, "Send test" (with its outcome), and create / edit / delete. */
export function ChannelsPanel({ view, setView }: { view: AlertsViewState; setView: SetAlertsView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tick = useNow(10_000);
  const channels = useQuery({ ...trpc.alerts.channels.list.queryOptions(), refetchInterval: 10_000 });
  const deliveries = useQuery({ ...trpc.alerts.deliveries.list.queryOptions({ limit: 500 }), refetchInterval: 10_000 });
  const [tests, setTests] = useState<Record<number, TestOutcome>>({});
  const [sending, setSending] = useState<number[]>([]);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
  const sendTest = useMutation(trpc.alerts.channels.test.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(trpc.alerts.channels.delete.mutationOptions({ onSettled: invalidate }));

  const now = Math.max(tick, deliveries.dataUpdatedAt);
  const rows = useMemo<ChannelRow[]>(() => {
    const last = new Map<number, NonNullable<ChannelRow["lastDelivery"]>>();
    for (const d of deliveries.data ?? []) {
      const at = toMs(d.deliveredAt) ?? toMs(d.createdAt) ?? 0;
      const seen = last.get(d.channelId);
      if (!seen || at > seen.at) last.set(d.channelId, { state: d.state, at });
    }
    return (channels.data ?? []).map((c) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
      urlMasked: c.urlMasked,
      groupBy: c.groupBy,
      enabled: c.enabled,
      lastDelivery: last.get(c.id) ?? null,
      testResult: tests[c.id] ?? null,
    }));
  }, [channels.data, deliveries.data, tests]);

  const runTest = (row: ChannelRow) => {
    setSending((s) => [...s, row.id]);
    sendTest.mutate(
      { id: row.id },
      {
        onSuccess: (result) =>
          setTests((t) => ({
            ...t,
            [row.id]: result.ok
              ? { ok: true, message: `Delivered${result.statusCode ? ` (HTTP ${result.statusCode})` : ""}` }
              : { ok: false, message: `Failed${result.statusCode ? ` (HTTP ${result.statusCode})` : ""}: ${result.error ?? "no answer"}` },
          })),
        onError: (error) => setTests((t) => ({ ...t, [row.id]: { ok: false, message: error.message } })),
        onSettled: () => setSending((s) => s.filter((id) => id !== row.id)),
      },
    );
  };

  const editing = view.channel && view.channel !== "new" ? channels.data?.find((c) => String(c.id) === view.channel) : undefined;

  return (
    <QueryStatus what="channels" isPending={channels.isPending} error={channels.error}>
      <div className="panel">
        <div className="table-toolbar">
          <h2>Channels</h2>
          {view.channel ? null : (
            <button type="button" className="primary" onClick={() => setView({ channel: "new" })}>
              New channel
            </button>
          )}
        </div>
        {remove.error ? (
          <p className="error" role="alert">
            {remove.error.message}
          </p>
        ) : null}
        <ChannelsTable
          rows={rows}
          now={now}
          sendingIds={sending}
          onSendTest={runTest}
          onEdit={(row) => setView({ channel: String(row.id) })}
          onDelete={(row) => {
            if (window.confirm(`Delete the channel "${row.name}"?`)) remove.mutate({ id: row.id });
          }}
        />
      </div>
      {view.channel === "new" ? <ChannelEditor key="new" onDone={() => setView({ channel: null })} /> : null}
      {editing ? <ChannelEditor key={editing.id} channel={editing} onDone={() => setView({ channel: null })} /> : null}
    </QueryStatus>
  );
}

/** ChannelForm wired to alerts.channels.create / update, server messages under their fields. */
function ChannelEditor({ channel, onDone }: { channel?: ChannelItem; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<ChannelFormValues>(() => (channel ? channelValuesFrom(channel) : emptyChannelFormValues()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
    onDone();
  };
  const onError = (error: { message: string; data?: { issues?: readonly string[] | null } | null }) => setErrors(formErrorsFrom(error, channelFieldMapper));
  const create = useMutation(trpc.alerts.channels.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.alerts.channels.update.mutationOptions({ onSuccess, onError }));
  return (
    <div className="panel" data-testid="channel-editor">
      <h2>{channel ? `Edit channel ${channel.name}` : "New channel"}</h2>
      <ChannelForm
        mode={channel ? "edit" : "create"}
        values={values}
        onChange={setValues}
        maskedUrl={channel?.urlMasked}
        hasStoredSecret={channel?.hasSecret}
        errors={errors}
        submitting={create.isPending || update.isPending}
        onCancel={onDone}
        onSubmit={(v) => {
          setErrors({});
          if (channel) update.mutate({ id: channel.id, patch: channelPatch(v) });
          else create.mutate(channelCreateInput(v));
        }}
      />
    </div>
  );
}
