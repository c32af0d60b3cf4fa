import { formatCount, formatMillis } from "../format/units";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";

export interface SuspectGroup {
  id: string;
  /** Resource type as Node reports it, e.g. "Timeout", "TCPSocketWrap", "FSReqCallback". */
  type: string;
  count: number;
  /** Net new handles per minute over the observation window. */
  growthPerMin: number;
  controller: string | null;
  sampleKeys: readonly string[];
  /** The creation stack (one frame a line), or null when full capture was off. */
  stack: string | null;
  /** Age of the oldest handle in the group. */
  oldestAgeMs?: number;
}

/**
 * Leak groups by type and creation site, biggest first; each stack expands. `kind` says
 * which list this is: the suspects (blamed on a controller) or the unattributed groups
 * (created outside any reconcile, never blamed), each with its own label and test ids.
 */
export function SuspectGroupsTable({ rows, kind = "suspect" }: { rows: readonly SuspectGroup[]; kind?: "suspect" | "unattributed" }) {
  const sorted = [...rows].sort((a, b) => b.count - a.count);
  return (
    <TableScroll label={kind === "suspect" ? "Leak suspects" : "Unattributed groups"} testId={`${kind}-groups`}>
      <table>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col" className="num">
              Growth
            </th>
            <th scope="col">Controller</th>
            <th scope="col">Sample keys</th>
            <th scope="col" className="num">
              Oldest
            </th>
          </tr>
        </thead>
        {sorted.length === 0 ? (
          <tbody>
            <EmptyRow columns={6}>No leak suspects: every tracked handle was released.</EmptyRow>
          </tbody>
        ) : null}
        {sorted.map((g) => (
          <tbody key={g.id} className="suspect-group" data-testid={`${kind}-group`}>
            <tr>
              <td>
                <code>{g.type}</code>
              </td>
              <td className="num">{formatCount(g.count, "exact")}</td>
              <td className={`num ${g.growthPerMin > 0 ? "status-degraded" : ""}`}>
                {g.growthPerMin > 0 ? "+" : ""}
                {formatCount(g.growthPerMin)}/min
              </td>
              <td>{g.controller ?? <span className="muted">unattributed</span>}</td>
              <td>
                {g.sampleKeys.length === 0 ? (
                  <span className="muted">–</span>
                ) : (
                  g.sampleKeys.slice(0, 3).map((k) => (
                    <code key={k} className="chip">
                      {k}
                    </code>
                  ))
                )}
                {g.sampleKeys.length > 3 ? <span className="muted"> +{g.sampleKeys.length - 3}</span> : null}
              </td>
              <td className="num">{g.oldestAgeMs !== undefined ? formatMillis(g.oldestAgeMs) : "–"}</td>
            </tr>
            <tr className="stack-row">
              <td colSpan={6}>
                {g.stack ? (
                  <details>
                    <summary>Creation stack</summary>
                    <pre className="stack">{g.stack}</pre>
                  </details>
                ) : (
                  <span className="muted">No creation stack (turn on full capture to record stacks).</span>
                )}
              </td>
            </tr>
          </tbody>
        ))}
      </table>
    </TableScroll>
  );
}
