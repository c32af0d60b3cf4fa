import { formatValue, type ValueUnit } from "../format/units";
import { Badge } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { LabelChips } from "../ui/LabelChips";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";
import { HeaderRow } from "../ui/HeaderRow";

export interface AlertRow {
  /** The alert's fingerprint (rule + label set). */
  id: string;
  ruleName: string;
  state: "firing" | "pending";
  labels: Record<string, string>;
  /** The rendered summary annotation, if any. */
  summary?: string;
  value?: number | null;
  unit?: ValueUnit;
  /** When the condition first became true. */
  activeAt: number;
  firedAt?: number | null;
  silenced?: boolean;
}

export interface AlertsTableProps {
  rows: readonly AlertRow[];
  now?: number;
  /** Shows a "Silence" button per alert. */
  onSilence?: (row: AlertRow) => void;
}

/** Firing alerts first, then pending, each newest first; with a per-alert Silence action. */
export function AlertsTable({ rows, now, onSilence }: AlertsTableProps) {
  const sorted = [...rows].sort((a, b) => (a.state === b.state ? b.activeAt - a.activeAt : a.state === "firing" ? -1 : 1));
  const columns = onSilence ? 6 : 5;
  return (
    <TableScroll label="Active alerts" testId="alerts-table">
      <table>
        <thead>
          <HeaderRow columns={["State", "Alert", "Labels", { label: "Value", numeric: true }, "Since"]} actions={Boolean(onSilence)} />
        </thead>
        <tbody>
          {sorted.length === 0 ? <EmptyRow columns={columns}>No alerts are firing or pending.</EmptyRow> : null}
          {sorted.map((a) => (
            <tr key={a.id} data-testid="alert-row" data-state={a.state} data-rule={a.ruleName}>
              <td>
                <Badge tone={a.state === "firing" ? "bad" : "warn"}>{a.state}</Badge>
                {a.silenced ? (
                  <>
                    {" "}
                    <Badge tone="muted">silenced</Badge>
                  </>
                ) : null}
              </td>
              <td>
                <strong>
                  <a href={`/alerts?alert=${encodeURIComponent(a.id)}`}>{a.ruleName}</a>
                </strong>
                {a.summary ? <div className="muted">{a.summary}</div> : null}
              </td>
              <td>
                <LabelChips labels={a.labels} omit={["alertname"]} />
              </td>
              <td className="num">{a.value === undefined || a.value === null ? "–" : formatValue(a.value, a.unit ?? "none", "exact")}</td>
              <td className="nowrap">
                <Timestamp ts={a.state === "firing" ? (a.firedAt ?? a.activeAt) : a.activeAt} now={now} />
              </td>
              {onSilence ? (
                <td>
                  <button type="button" onClick={() => onSilence(a)} aria-label={`Silence ${a.ruleName}`} disabled={a.silenced}>
                    Silence
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
