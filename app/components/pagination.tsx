import { Link } from "@remix-run/react";

/**
 * Previous and next links under a table of results, with where the reader is
 * ("page 2 of 5") when the page says it. Plain links: paging works without
 * JavaScript and keeps the filters the links carry.
 */
export function Pagination({
  label,
  page,
  pages,
  linkTo,
  previous,
  next,
  current,
  className = "pagination",
}: {
  label: string;
  page: number;
  pages: number;
  linkTo: (page: number) => string;
  previous: string;
  next: string;
  current?: string;
  className?: string;
}) {
  if (pages <= 1) return null;
  return (
    <nav className={className} aria-label={label}>
      <ul>
        {page > 1 ? (
          <li>
            <Link to={linkTo(page - 1)} rel="prev">
              {previous}
            </Link>
          </li>
        ) : null}
        {current ? <li aria-current="page">{current}</li> : null}
        {page < pages ? (
          <li>
            <Link to={linkTo(page + 1)} rel="next">
              {next}
            </Link>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}
