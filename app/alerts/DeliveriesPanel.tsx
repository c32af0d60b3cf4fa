"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { useNow } from "../../components/hooks/use-now";
import { DeliveriesTable, type DeliveryRow } from "../../components/tables/DeliveriesTable";
import { useTRPC } from "../_trpc/client";
import { toMs } from "./api-types";
import { QueryStatus } from "./QueryStatus";

const KINDS = new Set(["firing", "resolved", "test"]);

/** The notification outbox: every delivery with attempts and errors; dead letters can be retried. */
export function DeliveriesPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tick = useNow(5_000);
  const deliveries = useQuery({ ...trpc.alerts.deliveries.list.queryOptions({ limit: 500 }), refetchInterval: 5_000 });
  const channels = useQuery(trpc.alerts.channels.list.queryOptions());
  const retry = useMutation(trpc.alerts.deliveries.requeue.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() }) }));
  const now = Math.max(tick, deliveries.dataUpdatedAt);
  const rows = useMemo<DeliveryRow[]>(() => {
    const names = new Map((channels.data ?? []).map((c) => [c.id, c.name]));
    return (deliveries.data ?? []).map((d) => ({
      id: d.id,
      channelName: names.get(d.channelId) ?? `channel ${d.channelId}`,
      status: KINDS.has(d.status) ? (d.status as DeliveryRow["status"]) : "firing",
      state: d.state,
      attempts: d.attempts,
      createdAt: toMs(d.createdAt) ?? 0,
      deliveredAt: toMs(d.deliveredAt),
      nextAttemptAt: d.state === "pending" || d.state === "failed" ? toMs(d.nextAttemptAt) : null,
      lastError: d.lastError,
      lastStatusCode: d.lastStatusCode,
      groupKey: d.groupKey,
    }));
  }, [deliveries.data, channels.data]);
  return (
    <QueryStatus what="deliveries" isPending={deliveries.isPending} error={deliveries.error}>
      <div className="panel">
        <h2>Deliveries</h2>
        {retry.error ? (
          <p className="error" role="alert">
            {retry.error.message}
          </p>
        ) : null}
        <DeliveriesTable rows={rows} now={now} onRetry={(row) => retry.mutate({ id: row.id })} />
      </div>
    </QueryStatus>
  );
}
