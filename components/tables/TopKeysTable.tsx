import { formatCount } from "../format/units";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Truncated } from "../ui/Truncated";
import { Timestamp } from "../ui/Timestamp";

export interface KeyCount {
  key: string;
  controller?: string;
  count: number;
  lastAt?: number | null;
  lastError?: string | null;
}

export interface TopKeysTableProps {
  /** e.g. "Top retried keys" or "Hot keys". */
  title: string;
  /** Column heading for the count, e.g. "Retries" or "Reconciles". */
  countLabel: string;
  rows: readonly KeyCount[];
  now?: number;
  /** Show the last-error column (for retried keys). */
  showLastError?: boolean;
  /** What the empty table says (it depends on whether it lists live state or a range). */
  emptyText?: string;
}

/** Keys ranked by a count (retries, reconciles), with a bar relative to the top key. */
export function TopKeysTable({ title, countLabel, rows, now, showLastError = false, emptyText = "No keys in this range." }: TopKeysTableProps) {
  const sorted = [...rows].sort((a, b) => b.count - a.count);
  const max = sorted[0]?.count ?? 0;
  const hasController = sorted.some((r) => r.controller);
  const hasLast = sorted.some((r) => r.lastAt !== undefined && r.lastAt !== null);
  const columns = 2 + (hasLast ? 1 : 0) + (hasController ? 1 : 0) + (showLastError ? 1 : 0);
  return (
    <TableScroll label={title} testId={`top-keys-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`}>
      <table className="fit-table">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            {hasController ? <th scope="col">Controller</th> : null}
            <th scope="col" className="num">
              {countLabel}
            </th>
            {hasLast ? <th scope="col">Last</th> : null}
            {showLastError ? <th scope="col">Last error</th> : null}
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? <EmptyRow columns={columns}>{emptyText}</EmptyRow> : null}
          {sorted.map((r) => (
            <tr key={`${r.controller ?? ""}/${r.key}`}>
              <td>
                <Truncated text={r.key} code />
              </td>
              {hasController ? <td>{r.controller ?? "–"}</td> : null}
              <td className="num">
                <span className="bar-cell">
                  <span className="bar" style={{ width: `${max > 0 ? (r.count / max) * 100 : 0}%` }} aria-hidden="true" />
                  <span>{formatCount(r.count, "exact")}</span>
                </span>
              </td>
              {hasLast ? (
                <td>
                  <Timestamp ts={r.lastAt} now={now} />
                </td>
              ) : null}
              {showLastError ? <td className="error-text">{r.lastError ? <Truncated text={r.lastError} expandAfter={60} /> : null}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
