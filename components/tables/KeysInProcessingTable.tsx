import { formatMillis } from "../format/units";
import { Badge } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";
import { Truncated } from "../ui/Truncated";

export interface KeyInProcessing {
  key: string;
  controller: string;
  reconcileId?: string;
  startedAt: number;
  runningMs: number;
  /** How many times this key was requeued before this attempt. */
  requeues?: number;
}

export interface KeysInProcessingTableProps {
  rows: readonly KeyInProcessing[];
  /** Rows running at least this long are flagged (default 30 s). */
  stuckAfterMs?: number;
  showController?: boolean;
  now?: number;
}

/** Keys a worker is reconciling right now, longest-running first; long runners are flagged. */
export function KeysInProcessingTable({ rows, stuckAfterMs = 30_000, showController = true, now }: KeysInProcessingTableProps) {
  const sorted = [...rows].sort((a, b) => b.runningMs - a.runningMs);
  const columns = showController ? 5 : 4;
  return (
    <TableScroll label="Keys in processing" testId="keys-in-processing">
      <table className="fit-table">
        <thead>
          <tr>
            <th scope="col">Key</th>
            {showController ? <th scope="col">Controller</th> : null}
            <th scope="col" className="num">
              Running for
            </th>
            <th scope="col">Started</th>
            <th scope="col" className="num">
              Requeues
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? <EmptyRow columns={columns}>No key is being reconciled right now.</EmptyRow> : null}
          {sorted.map((r) => {
            const stuck = r.runningMs >= stuckAfterMs;
            return (
              <tr key={r.reconcileId ?? `${r.controller}/${r.key}`} className={stuck ? "row-bad" : undefined}>
                <td>
                  <Truncated text={r.key} code />
                </td>
                {showController ? <td>{r.controller}</td> : null}
                <td className="num" data-running-ms={r.runningMs}>
                  <span className="nowrap">{formatMillis(r.runningMs, "exact")}</span> {stuck ? <Badge tone="bad">stuck</Badge> : null}
                </td>
                <td>
                  <Timestamp ts={r.startedAt} now={now} />
                </td>
                <td className="num">{r.requeues ?? "–"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
