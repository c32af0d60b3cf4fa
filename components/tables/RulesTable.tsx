import { formatDuration } from "../format/duration";
import { Badge } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { HeaderRow } from "../ui/HeaderRow";

export interface RuleRow {
  id: number;
  name: string;
  kind: "threshold" | "anomaly" | "leak" | "absent";
  /** One-line condition, e.g. `histogram_quantile(0.99, workqueue_work_duration_seconds) > 2`. */
  expression: string;
  forMs: number;
  enabled: boolean;
  builtin: boolean;
  /** Number of alerts of this rule currently firing / pending. */
  firing?: number;
  pending?: number;
}

export interface RulesTableProps {
  rows: readonly RuleRow[];
  onEdit?: (row: RuleRow) => void;
  onToggle?: (row: RuleRow, enabled: boolean) => void;
  onDelete?: (row: RuleRow) => void;
}

/** Alert rules with their condition and current state; edit / enable / delete actions (built-in rules cannot be deleted). */
export function RulesTable({ rows, onEdit, onToggle, onDelete }: RulesTableProps) {
  const actions = Boolean(onEdit || onToggle || onDelete);
  return (
    <TableScroll label="Alert rules" testId="rules-table">
      <table>
        <thead>
          <HeaderRow columns={["Rule", "Kind", "Condition", "For", "State"]} actions={actions} />
        </thead>
        <tbody>
          {rows.length === 0 ? <EmptyRow columns={actions ? 6 : 5}>No rules yet.</EmptyRow> : null}
          {rows.map((r) => (
            <tr key={r.id} data-testid="rule-row" data-rule={r.name} className={r.enabled ? undefined : "row-muted"}>
              <td>
                <strong>{r.name}</strong> {r.builtin ? <Badge tone="muted">built-in</Badge> : null}
              </td>
              <td>{r.kind}</td>
              <td>
                <code className="wrap">{r.expression}</code>
              </td>
              <td>{formatDuration(r.forMs)}</td>
              <td className="nowrap">
                {!r.enabled ? <Badge tone="muted">disabled</Badge> : null}
                {r.enabled && (r.firing ?? 0) > 0 ? <Badge tone="bad">{r.firing} firing</Badge> : null}
                {r.enabled && (r.pending ?? 0) > 0 ? <Badge tone="warn">{r.pending} pending</Badge> : null}
                {r.enabled && !(r.firing ?? 0) && !(r.pending ?? 0) ? <Badge tone="ok">ok</Badge> : null}
              </td>
              {actions ? (
                <td className="actions">
                  {onEdit ? (
                    <button type="button" onClick={() => onEdit(r)} aria-label={`Edit ${r.name}`}>
                      Edit
                    </button>
                  ) : null}
                  {onToggle ? (
                    <button type="button" onClick={() => onToggle(r, !r.enabled)} aria-label={`${r.enabled ? "Disable" : "Enable"} ${r.name}`}>
                      {r.enabled ? "Disable" : "Enable"}
                    </button>
                  ) : null}
                  {onDelete && !r.builtin ? (
                    <button type="button" className="danger" onClick={() => onDelete(r)} aria-label={`Delete ${r.name}`}>
                      Delete
                    </button>
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
