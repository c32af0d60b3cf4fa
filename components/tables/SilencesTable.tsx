import { Badge, type BadgeTone } from "../ui/Badge";
import { EmptyRow } from "../ui/EmptyRow";
import { TableScroll } from "../ui/TableScroll";
import { Timestamp } from "../ui/Timestamp";
import type { Matcher } from "../forms/matchers";
import { formatMatchers } from "../forms/matchers";
import { HeaderRow } from "../ui/HeaderRow";

export interface SilenceRow {
  id: number;
  matchers: readonly Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export type SilenceState = "active" | "pending" | "expired";

/** Alertmanager's silence states: pending before startsAt, expired from endsAt. */
export function silenceState(row: Pick<SilenceRow, "startsAt" | "endsAt">, now: number): SilenceState {
  if (now >= row.endsAt) return "expired";
  if (now < row.startsAt) return "pending";
  return "active";
}

const TONE: Record<SilenceState, BadgeTone> = { active: "accent", pending: "warn", expired: "muted" };

/** Silences with their state; active and pending ones can be expired. */
export function SilencesTable({ rows, now, onExpire }: { rows: readonly SilenceRow[]; now: number; onExpire?: (row: SilenceRow) => void }) {
  const sorted = [...rows].sort((a, b) => b.startsAt - a.startsAt);
  return (
    <TableScroll label="Silences" testId="silences-table">
      <table>
        <thead>
          <HeaderRow columns={["State", "Matchers", "Ends", "By", "Comment"]} actions={Boolean(onExpire)} />
        </thead>
        <tbody>
          {sorted.length === 0 ? <EmptyRow columns={onExpire ? 6 : 5}>No silences.</EmptyRow> : null}
          {sorted.map((s) => {
            const state = silenceState(s, now);
            return (
              <tr key={s.id} data-testid="silence-row" data-state={state}>
                <td>
                  <Badge tone={TONE[state]}>{state}</Badge>
                </td>
                <td>
                  <code className="wrap">{formatMatchers(s.matchers)}</code>
                </td>
                <td className="nowrap">
                  <Timestamp ts={s.endsAt} now={now} />
                </td>
                <td>{s.createdBy}</td>
                <td>{s.comment}</td>
                {onExpire ? (
                  <td>
                    {state !== "expired" ? (
                      <button type="button" onClick={() => onExpire(s)} aria-label={`Expire silence ${formatMatchers(s.matchers)}`}>
                        Expire
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}
