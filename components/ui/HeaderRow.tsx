export type HeaderColumn = string | { label: string; numeric: true };

/** A table's header row: one heading per column (numeric ones right-aligned), plus an unlabelled actions column when rows have buttons. */
export function HeaderRow({ columns, actions = false }: { columns: readonly HeaderColumn[]; actions?: boolean }) {
  return (
    <tr>
      {columns.map((column) =>
        typeof column === "string" ? (
          <th key={column} scope="col">
            {column}
          </th>
        ) : (
          <th key={column.label} scope="col" className="num">
            {column.label}
          </th>
        ),
      )}
      {actions ? (
        <th scope="col">
          <span className="visually-hidden">Actions</span>
        </th>
      ) : null}
    </tr>
  );
}
