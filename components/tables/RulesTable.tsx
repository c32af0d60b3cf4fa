import { formatDuration } from "../../shared/duration";
import { Badge } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { HeaderRow } from "../ui/HeaderRow";
import { Timestamp } from "../ui/Timestamp";

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
  /** Epoch ms of the last evaluation (null before the first). */
  lastEvalAt?: number | null;
  /** The last evaluation failed with this error. */
  lastError?: string | null;
  /** The rule's metric has no recorded series (Prometheus: "no data"). */
  noData?: boolean;
}

export interface RulesTableProps {
  rows: readonly RuleRow[];
  onEdit?: (row: RuleRow) => void;
  onToggle?: (row: RuleRow, enabled: boolean) => void;
  onDelete?: (row: RuleRow) => void;
}

/** Alert rules with their condition and current state; edit / enable / delete actions (built-in rules cannot be deleted). */
export function RulesTable({ rows, onEdit, onToggle, onDelete, now }: RulesTableProps & { now?: number }) {
  const actions = Boolean(onEdit || onToggle || onDelete);
  return (
    <TableScroll label="Alert rules" testId="rules-table">
      <table>
        <thead>
          <HeaderRow columns={["Rule", "Kind", "Condition", "For", "State", "Last evaluation"]} actions={actions} />
        </thead>
        <tbody>
          {rows.length === 0 ? <EmptyRow columns={actions ? 7 : 6}>No rules yet.</EmptyRow> : null}
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
              <td className="nowrap" data-testid="rule-state">
                <RuleState row={r} />
              </td>
              <td>
                {r.lastEvalAt ? <Timestamp ts={r.lastEvalAt} now={now} /> : <span className="muted">not yet</span>}
                {r.lastError ? (
                  <div className="error-text" data-testid="rule-error">
                    {r.lastError}
                  </div>
                ) : null}
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

/** disabled, firing/pending counts, evaluation error, "no data" (metric never recorded), else ok. */
function RuleState({ row }: { row: RuleRow }) {
  if (!row.enabled) return <Badge tone="muted">disabled</Badge>;
  const firing = row.firing ?? 0;
  const pending = row.pending ?? 0;
  return (
    <>
      {firing > 0 ? <Badge tone="bad">{firing} firing</Badge> : null}
      {pending > 0 ? <Badge tone="warn">{pending} pending</Badge> : null}
      {row.lastError ? <Badge tone="bad" title={row.lastError}>evaluation error</Badge> : null}
      {row.noData && firing === 0 && pending === 0 ? (
        <Badge tone="warn" title="No series of this rule's metric has been recorded">
          no data
        </Badge>
      ) : null}
      {firing === 0 && pending === 0 && !row.lastError && !row.noData ? <Badge tone="ok">ok</Badge> : null}
    </>
  );
}
