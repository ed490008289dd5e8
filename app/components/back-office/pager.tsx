import { Link } from "@remix-run/react";

/**
 * Previous and next links of a back-office list, keeping its GET form's
 * filters in the address (so a page can be bookmarked or reloaded).
 */
export function Pager({
  page,
  pageCount,
  filters,
  labels,
}: {
  page: number;
  pageCount: number;
  filters: Record<string, string | null>;
  labels: { previous: string; next: string; pageOf: string };
}) {
  if (pageCount <= 1) return null;
  const to = (target: number) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
    params.set("page", String(target));
    return `?${params.toString()}`;
  };
  return (
    <nav className="back-office-pager" aria-label={labels.pageOf}>
      {page > 1 ? (
        <Link to={to(page - 1)} rel="prev">
          {labels.previous}
        </Link>
      ) : null}
      <span>{labels.pageOf}</span>
      {page < pageCount ? (
        <Link to={to(page + 1)} rel="next">
          {labels.next}
        </Link>
      ) : null}
    </nav>
  );
}
