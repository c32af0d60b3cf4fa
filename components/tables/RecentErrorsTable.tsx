import { Badge } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Truncated } from "../ui/Truncated";
import { Timestamp } from "../ui/Timestamp";

export interface RecentError {
  at: number;
  controller: string;
  key: string;
  message: string;
  /** A terminal error is not retried. */
  terminal?: boolean;
  reconcileId?: string;
}

/** The latest reconcile errors, newest first; long messages expand. */
export function RecentErrorsTable({
  rows,
  now,
  showController = true,
  emptyText = "No reconcile errors in this range.",
}: {
  rows: readonly RecentError[];
  now?: number;
  showController?: boolean;
  emptyText?: string;
}) {
  const sorted = [...rows].sort((a, b) => b.at - a.at);
  const columns = showController ? 4 : 3;
  return (
    <TableScroll label="Recent errors" testId="recent-errors">
      <table className="fit-table errors-table">
        <thead>
          <tr>
            <th scope="col">When</th>
            {showController ? <th scope="col">Controller</th> : null}
            <th scope="col">Key</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? <EmptyRow columns={columns}>{emptyText}</EmptyRow> : null}
          {sorted.map((r, i) => (
            <tr key={r.reconcileId ?? `${r.at}-${r.key}-${i}`}>
              <td className="nowrap">
                <Timestamp ts={r.at} now={now} />
              </td>
              {showController ? <td>{r.controller}</td> : null}
              <td>
                <Truncated text={r.key} code />
              </td>
              <td className="error-text">
                {r.terminal ? <Badge tone="bad">terminal</Badge> : null} <Truncated text={r.message} expandAfter={60} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
