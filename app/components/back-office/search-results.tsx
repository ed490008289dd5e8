import type { ReactNode } from "react";

/**
 * The results part of a back-office search page: its heading, how many were
 * found (a status, read out when the search changes), an empty state, and the
 * table in the scrolling region keyboard users can reach, captioned so the
 * region has a name. `found` null: the search was refused, `notSearched` says so.
 */
export function SearchResults({
  id,
  heading,
  found,
  notSearched,
  empty,
  caption,
  columns,
  tableClassName,
  children,
  after,
}: {
  id: string;
  heading: string;
  found: string | null;
  notSearched: string;
  /** Null when there are rows to show. */
  empty: string | null;
  caption: string;
  /** The header cells (`<th scope="col">`). */
  columns: ReactNode;
  tableClassName: string;
  /** The rows. */
  children: ReactNode;
  /** Under the table: the pagination. */
  after?: ReactNode;
}) {
  return (
    <>
      <h2 id={`${id}-heading`}>{heading}</h2>
      <p className="total" role="status">
        {found ?? notSearched}
      </p>
      {found !== null && empty !== null ? <p className="payment-search-empty">{empty}</p> : null}
      {found !== null && empty === null ? (
        <>
          <div className="table-scroll" role="region" aria-labelledby={`${id}-caption`} tabIndex={0}>
            <table className={tableClassName}>
              <caption id={`${id}-caption`}>{caption}</caption>
              <thead>
                <tr>{columns}</tr>
              </thead>
              <tbody>{children}</tbody>
            </table>
          </div>
          {after}
        </>
      ) : null}
    </>
  );
}
