import { Badge } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";
import type { ChannelKind } from "../forms/ChannelForm";
import { HeaderRow } from "../ui/HeaderRow";

export interface ChannelRow {
  id: number;
  name: string;
  kind: ChannelKind;
  /** Masked URL from the server; the real URL is never sent to the browser. */
  urlMasked: string;
  groupBy: readonly string[];
  enabled: boolean;
  lastDelivery?: { state: "pending" | "delivered" | "failed" | "dead"; at: number } | null;
  /** Outcome of the last "Send test", shown next to the button. */
  testResult?: { ok: boolean; message: string } | null;
}

export interface ChannelsTableProps {
  rows: readonly ChannelRow[];
  now?: number;
  onSendTest?: (row: ChannelRow) => void;
  onEdit?: (row: ChannelRow) => void;
  onDelete?: (row: ChannelRow) => void;
  /** Ids with a test send in flight (their button is disabled). */
  sendingIds?: readonly number[];
}

const DELIVERY_TONE = { pending: "warn", delivered: "ok", failed: "warn", dead: "bad" } as const;

/** Notification channels with masked URLs, last delivery, and "Send test" / edit / delete actions. */
export function ChannelsTable({ rows, now, onSendTest, onEdit, onDelete, sendingIds = [] }: ChannelsTableProps) {
  const actions = Boolean(onSendTest || onEdit || onDelete);
  return (
    <TableScroll label="Channels" testId="channels-table">
      <table>
        <thead>
          <HeaderRow columns={["Channel", "Kind", "URL", "Group by", "Last delivery"]} actions={actions} />
        </thead>
        <tbody>
          {rows.length === 0 ? <EmptyRow columns={actions ? 6 : 5}>No channels: alerts are shown here but not sent anywhere.</EmptyRow> : null}
          {rows.map((c) => (
            <tr key={c.id} data-testid="channel-row" data-channel={c.name} className={c.enabled ? undefined : "row-muted"}>
              <td>
                <strong>{c.name}</strong> {c.enabled ? null : <Badge tone="muted">disabled</Badge>}
              </td>
              <td>{c.kind}</td>
              <td>
                <code className="masked">{c.urlMasked}</code>
              </td>
              <td>{c.groupBy.join(", ") || "–"}</td>
              <td className="nowrap">
                {c.lastDelivery ? (
                  <>
                    <Badge tone={DELIVERY_TONE[c.lastDelivery.state]}>{c.lastDelivery.state === "dead" ? "dead letter" : c.lastDelivery.state}</Badge>{" "}
                    <Timestamp ts={c.lastDelivery.at} now={now} />
                  </>
                ) : (
                  <span className="muted">never</span>
                )}
              </td>
              {actions ? (
                <td className="actions">
                  {onSendTest ? (
                    <button type="button" onClick={() => onSendTest(c)} disabled={sendingIds.includes(c.id)} aria-label={`Send test to ${c.name}`}>
                      {sendingIds.includes(c.id) ? "Sending…" : "Send test"}
                    </button>
                  ) : null}
                  {onEdit ? (
                    <button type="button" onClick={() => onEdit(c)} aria-label={`Edit ${c.name}`}>
                      Edit
                    </button>
                  ) : null}
                  {onDelete ? (
                    <button type="button" className="danger" onClick={() => onDelete(c)} aria-label={`Delete ${c.name}`}>
                      Delete
                    </button>
                  ) : null}
                  {c.testResult ? (
                    <span className={c.testResult.ok ? "status-ok" : "error"} role="status" data-testid="test-result">
                      {c.testResult.message}
                    </span>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
