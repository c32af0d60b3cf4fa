import { formatValue, type ValueUnit } from "../format/units";
import { Badge, type BadgeTone } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { LabelChips } from "../ui/LabelChips";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";

export interface AlertEventRow {
  id: number | string;
  at: number;
  ruleName: string;
  state: "pending" | "firing" | "resolved";
  labels: Record<string, string>;
  value?: number | null;
  unit?: ValueUnit;
}

const TONE: Record<AlertEventRow["state"], BadgeTone> = { firing: "bad", pending: "warn", resolved: "ok" };

/** Alert state transitions, newest first. */
export function AlertHistoryTable({ rows, now }: { rows: readonly AlertEventRow[]; now?: number }) {
  const sorted = [...rows].sort((a, b) => b.at - a.at);
  return (
    <TableScroll label="Alert history" testId="alert-history">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Transition</th>
            <th scope="col">Alert</th>
            <th scope="col">Labels</th>
            <th scope="col" className="num">
              Value
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? <EmptyRow columns={5}>No alert transitions in this range.</EmptyRow> : null}
          {sorted.map((e) => (
            <tr key={e.id}>
              <td className="nowrap">
                <Timestamp ts={e.at} now={now} />
              </td>
              <td>
                <Badge tone={TONE[e.state]}>{e.state}</Badge>
              </td>
              <td>{e.ruleName}</td>
              <td>
                <LabelChips labels={e.labels} omit={["alertname"]} />
              </td>
              <td className="num">{e.value === undefined || e.value === null ? "–" : formatValue(e.value, e.unit ?? "none", "exact")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
