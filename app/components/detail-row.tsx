import type { ReactNode } from "react";

/** One term and its description in a `<dl className="bill-details">`. */
export function DetailRow({ label, className, children }: { label: ReactNode; className?: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd className={className}>{children}</dd>
    </div>
  );
}
