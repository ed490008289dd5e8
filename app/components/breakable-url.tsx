import { Fragment } from "react";

/**
 * A web address shown as text, with line-break opportunities where it reads
 * well (after a slash, before ? and &), so on a narrow screen it wraps between
 * its parts instead of through the middle of a number in it.
 */
export function BreakableUrl({ url }: { url: string }) {
  return (
    <>
      {url.split(/(?<=\/)|(?=[?&])/).map((part, index) => (
        <Fragment key={index}>
          {index > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </>
  );
}
