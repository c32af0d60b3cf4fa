import Link from "next/link";
import { formatAgo } from "../format/time";
import { Badge } from "../ui/Badge";

export type { NowItem as NowItemView } from "../../server/dashboard/overview";
import type { NowItem as NowItemView } from "../../server/dashboard/overview";

/** What is wrong right now: firing alerts and open anomaly windows (process-wide ones too), each linking to its evidence. */
export function NowList({ items, now }: { items: readonly NowItemView[]; now: number }) {
  if (items.length === 0) return <p className="muted">No alert is firing and no anomaly window is open.</p>;
  return (
    <ul className="now-list" data-testid="now-list">
      {items.map((item) => (
        <li key={`${item.kind}-${item.id}`} data-kind={item.kind}>
          <Badge tone={item.kind === "alert" ? "bad" : "warn"}>{item.kind === "alert" ? "alert firing" : "anomaly open"}</Badge>{" "}
          <Link prefetch={false} href={item.href}>{item.title}</Link>
          <span className="muted">
            {" "}
            · {item.controller ?? "process-wide"} · since {formatAgo(item.since, now)}
          </span>
        </li>
      ))}
    </ul>
  );
}
