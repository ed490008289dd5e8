import type { ReactNode } from "react";

/**
 * A cell of a table that becomes a stack of cards on a narrow screen
 * (`.stacked-table`, WCAG 1.4.10): there the column headers are out of sight,
 * so each cell shows its header's words itself. Screen readers still get the
 * real column header, so the visible copy is hidden from them (read twice
 * otherwise).
 */
export function StackedCell({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <td className={className}>
      <span className="cell-label" aria-hidden="true">
        {label}
      </span>
      <span className="cell-value">{children}</span>
    </td>
  );
}
