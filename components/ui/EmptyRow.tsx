import type { ReactNode } from "react";

/** The one row a table shows when it has nothing to list. */
export function EmptyRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <tr className="empty-row">
      <td colSpan={columns} className="muted">
        {children}
      </td>
    </tr>
  );
}
