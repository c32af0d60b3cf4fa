"use client";

import { useId, useState } from "react";
import { Badge, type BadgeTone } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";
import { HeaderRow } from "../ui/HeaderRow";

export type DeliveryState = "pending" | "delivered" | "failed" | "dead";

export interface DeliveryRow {
  id: number;
  channelName: string;
  /** What was sent. */
  status: "firing" | "resolved" | "test";
  state: DeliveryState;
  attempts: number;
  createdAt: number;
  deliveredAt: number | null;
  nextAttemptAt: number | null;
  lastError: string | null;
  lastStatusCode: number | null;
  groupKey?: string;
}

/** A delivery's last error: only a failure is one (a 2xx status, e.g. "HTTP 200", is a success, not an error). */
export function lastErrorText(d: { lastError: string | null; lastStatusCode: number | null }): string {
  const failedStatus = d.lastStatusCode !== null && (d.lastStatusCode < 200 || d.lastStatusCode >= 300) ? `HTTP ${d.lastStatusCode}` : null;
  if (!d.lastError) return failedStatus ?? "";
  return failedStatus && !d.lastError.includes(String(d.lastStatusCode)) ? `${failedStatus}: ${d.lastError}` : d.lastError;
}


export interface DeliveriesTableProps {
  rows: readonly DeliveryRow[];
  now?: number;
  /** Shows "Retry" on dead letters. */
  onRetry?: (row: DeliveryRow) => void;
}

const TONE: Record<DeliveryState, BadgeTone> = { pending: "muted", delivered: "ok", failed: "warn", dead: "bad" };
const LABEL: Record<DeliveryState, string> = { pending: "pending", delivered: "delivered", failed: "retrying", dead: "dead letter" };

/** The notification outbox: per-delivery state with attempts and errors; dead letters can be filtered and retried. */
export function DeliveriesTable({ rows, now, onRetry }: DeliveriesTableProps) {
  const id = useId();
  const [deadOnly, setDeadOnly] = useState(false);
  const counts = rows.reduce<Record<DeliveryState, number>>(
    (acc, r) => {
      acc[r.state] += 1;
      return acc;
    },
    { pending: 0, delivered: 0, failed: 0, dead: 0 },
  );
  const shown = [...rows].filter((r) => !deadOnly || r.state === "dead").sort((a, b) => b.createdAt - a.createdAt);
  const columns = onRetry ? 8 : 7;
  return (
    <div className="deliveries">
      <div className="table-toolbar">
        <span data-testid="delivery-counts">
          {counts.delivered} delivered · {counts.pending + counts.failed} in flight ·{" "}
          <span className={counts.dead > 0 ? "error" : undefined}>
            {counts.dead} dead letter{counts.dead === 1 ? "" : "s"}
          </span>
        </span>
        <label htmlFor={`${id}-dead`} className="checkbox">
          <input id={`${id}-dead`} type="checkbox" checked={deadOnly} onChange={(e) => setDeadOnly(e.target.checked)} />
          Dead letters only
        </label>
      </div>
      <TableScroll label="Deliveries" testId="deliveries-table">
        <table>
          <thead>
            <HeaderRow columns={["Created", "Channel", "Kind", "State", { label: "Attempts", numeric: true }, "Delivered / next try", "Last error"]} actions={Boolean(onRetry)} />
          </thead>
          <tbody>
            {shown.length === 0 ? <EmptyRow columns={columns}>{deadOnly ? "No dead letters." : "Nothing sent yet."}</EmptyRow> : null}
            {shown.map((d) => (
              <tr key={d.id} data-testid="delivery-row" data-state={d.state} className={d.state === "dead" ? "row-bad" : undefined}>
                <td className="nowrap">
                  <Timestamp ts={d.createdAt} now={now} />
                </td>
                <td>{d.channelName}</td>
                <td>{d.status}</td>
                <td>
                  <Badge tone={TONE[d.state]}>{LABEL[d.state]}</Badge>
                </td>
                <td className="num">{d.attempts}</td>
                <td className="nowrap">
                  {d.deliveredAt ? <Timestamp ts={d.deliveredAt} now={now} /> : d.state === "dead" ? "gave up" : <Timestamp ts={d.nextAttemptAt} now={now} />}
                </td>
                <td className="error-text" data-testid="delivery-last-error">
                  {lastErrorText(d)}
                </td>
                {onRetry ? (
                  <td>
                    {d.state === "dead" ? (
                      <button type="button" onClick={() => onRetry(d)} aria-label={`Retry delivery ${d.id} to ${d.channelName}`}>
                        Retry
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}
