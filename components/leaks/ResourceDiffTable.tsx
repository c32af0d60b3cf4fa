import { formatCount } from "../format/units";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";

export interface ResourceCount {
  /** Resource type (or type + creation site). */
  type: string;
  before: number;
  after: number;
}

/** Active resources at two chosen times and the difference, biggest change first. */
export function ResourceDiffTable({ rows, fromLabel, toLabel }: { rows: readonly ResourceCount[]; fromLabel: string; toLabel: string }) {
  const sorted = [...rows].sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || a.type.localeCompare(b.type));
  return (
    <TableScroll label="Active resources difference" testId="resource-diff">
      <table>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              {fromLabel}
            </th>
            <th scope="col" className="num">
              {toLabel}
            </th>
            <th scope="col" className="num">
              Change
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.length === 0 ? <EmptyRow columns={4}>No resources recorded at these times.</EmptyRow> : null}
          {sorted.map((r) => {
            const delta = r.after - r.before;
            return (
              <tr key={r.type}>
                <td>
                  <code>{r.type}</code>
                </td>
                <td className="num">{formatCount(r.before, "exact")}</td>
                <td className="num">{formatCount(r.after, "exact")}</td>
                <td className={`num ${delta > 0 ? "status-failing" : delta < 0 ? "status-ok" : "muted"}`} data-delta={delta}>
                  {delta > 0 ? "+" : ""}
                  {formatCount(delta, "exact")}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
