import type { ReactNode } from "react";
import { Cell, Column, Row, Table, TableBody, TableHeader } from "react-aria-components";
import "./components.css";

export interface ColumnDef<T> {
  id: string;
  label: string;
  render: (row: T) => ReactNode;
  isRowHeader?: boolean;
}

/** A read-only table (react-aria's grid semantics: arrow keys move between cells). */
export function DataTable<T extends { id: string | number }>({
  label,
  columns,
  rows,
  empty,
}: {
  label: string;
  columns: ColumnDef<T>[];
  rows: T[];
  empty: string;
}) {
  return (
    <div className="pw-table-wrap">
      <Table aria-label={label} className="pw-table">
        <TableHeader>
          {columns.map((c, i) => (
            <Column key={c.id} id={c.id} isRowHeader={c.isRowHeader ?? i === 0}>
              {c.label}
            </Column>
          ))}
        </TableHeader>
        <TableBody renderEmptyState={() => empty}>
          {rows.map((row) => (
            <Row key={row.id} id={row.id}>
              {columns.map((c) => (
                <Cell key={c.id}>{c.render(row)}</Cell>
              ))}
            </Row>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
