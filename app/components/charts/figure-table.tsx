import type { ReactNode } from "react";

/**
 * The data table beside a chart: the chart's figures and more, with a
 * caption, column headers and row headers (`th scope`), numbers aligned
 * right. Wide tables scroll inside their own focusable region.
 */

export interface FigureColumn {
  header: string;
  numeric?: boolean;
}

export function FigureTable({
  id,
  caption,
  columns,
  rows,
  footer,
}: {
  id: string;
  caption: string;
  /** The first column is the rows' header column. */
  columns: readonly FigureColumn[];
  rows: ReadonlyArray<{ key: string; cells: readonly ReactNode[] }>;
  /** A totals row, its first cell a header like the rows'. */
  footer?: readonly ReactNode[];
}) {
  const captionId = `${id}-caption`;
  const cellsOf = (cells: readonly ReactNode[]) =>
    cells.map((cell, i) =>
      i === 0 ? (
        <th key={i} scope="row">
          {cell}
        </th>
      ) : (
        <td key={i} className={columns[i]?.numeric ? "numeric" : undefined}>
          {cell}
        </td>
      ),
    );
  return (
    <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
      <table className="figure-table" id={id}>
        <caption id={captionId}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col" className={column.numeric ? "numeric" : undefined}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>{cellsOf(row.cells)}</tr>
          ))}
        </tbody>
        {footer ? (
          <tfoot>
            <tr>{cellsOf(footer)}</tr>
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}

/** A chart and its data table side by side (one above the other on a narrow screen), under one heading. */
export function ChartWithTable({ heading, headingId, children }: { heading: string; headingId: string; children: ReactNode }) {
  return (
    <section className="chart-with-table" aria-labelledby={headingId}>
      <h2 id={headingId}>{heading}</h2>
      <div className="chart-with-table-body">{children}</div>
    </section>
  );
}
