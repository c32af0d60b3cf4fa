import { Badge, type BadgeTone } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";

export interface FindingRow {
  id: string;
  severity: "critical" | "warning" | "info";
  kind: string;
  key: string;
  reason: string;
  message: string;
  since: number;
}

const TONE: Record<FindingRow["severity"], BadgeTone> = { critical: "bad", warning: "warn", info: "muted" };

/** What the built-in health reconcilers found wrong with cluster objects, worst first. */
export function FindingsTable({ rows, now }: { rows: readonly FindingRow[]; now: number }) {
  return (
    <TableScroll label="Cluster findings" testId="findings-table">
      <table>
        <thead>
          <tr>
            <th>Severity</th>
            <th>Object</th>
            <th>Reason</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? <EmptyRow columns={4}>Every watched object is healthy.</EmptyRow> : null}
          {rows.map((f) => (
            <tr key={f.id}>
              <td>
                <Badge tone={TONE[f.severity]}>{f.severity}</Badge>
              </td>
              <td>
                <code>
                  {f.kind}/{f.key}
                </code>
              </td>
              <td title={f.message}>
                {f.reason} <span className="muted">{f.message}</span>
              </td>
              <td>
                <Timestamp ts={f.since} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
