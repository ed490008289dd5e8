import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { localized } from "~/i18n";
import type { ChooserAgency } from "~/bills/catalogue.server";

/** Bill types grouped by issuing agency, each a link to its form. */
export function BillTypeChooser({
  agencies,
  hrefFor,
  headingLevel = 2,
}: {
  agencies: ChooserAgency[];
  hrefFor: (billTypeCode: string) => string;
  headingLevel?: 2 | 3;
}) {
  const { i18n } = useTranslation();
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <ul className="agency-list">
      {agencies.map((agency) => (
        <li key={agency.code}>
          <Heading className="agency-heading">{localized(agency, i18n.language)}</Heading>
          <ul className="bill-type-links">
            {agency.billTypes.map((billType) => (
              <li key={billType.code}>
                <Link to={hrefFor(billType.code)}>{localized(billType, i18n.language)}</Link>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}
