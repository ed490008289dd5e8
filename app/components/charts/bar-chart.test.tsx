import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { BarChart } from "./bar-chart";
import { FigureTable } from "./figure-table";

/** The charts are drawn on the server: what assistive technology and print get is in this markup. */
describe("statistics charts", () => {
  const rows = [
    { label: "Police Department", value: 3000, display: "NT$3,000" },
    { label: "Labor Affairs Bureau", value: 1500, display: "NT$1,500" },
    { label: "Nothing", value: 0, display: "NT$0" },
  ];

  it("is one image named by its title and described by its desc", () => {
    const html = renderToStaticMarkup(<BarChart title="By agency" description="Largest: Police" rows={rows} />);
    const labelledBy = /aria-labelledby="([^"]+)"/.exec(html)![1]!;
    const describedBy = /aria-describedby="([^"]+)"/.exec(html)![1]!;
    expect(html).toMatch(/^<svg[^>]* role="img"/);
    expect(html).toContain(`<title id="${labelledBy}">By agency</title>`);
    expect(html).toContain(`<desc id="${describedBy}">Largest: Police</desc>`);
  });

  it("draws bars in proportion, hatched, each labelled and with its value written", () => {
    const html = renderToStaticMarkup(<BarChart title="t" description="d" rows={rows} />);
    const widths = [...html.matchAll(/<rect x="0" y="\d+" width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([490, 245, 0]);
    expect(html).toMatch(/<pattern id="[^"]+-hatch"/);
    expect(html.match(/fill="url\(#[^"]+-hatch\)"/g)).toHaveLength(3);
    for (const row of rows) {
      expect(html).toContain(`>${row.label}</text>`);
      expect(html).toContain(`>${row.display}</text>`);
    }
  });

  it("gives its figures in a table with a caption, column and row headers", () => {
    const html = renderToStaticMarkup(
      <FigureTable
        id="by-agency"
        caption="Payments by agency"
        columns={[{ header: "Agency" }, { header: "Payments", numeric: true }]}
        rows={[{ key: "police", cells: ["Police", "3"] }]}
        footer={["Total", "3"]}
      />,
    );
    expect(html).toContain('<caption id="by-agency-caption">Payments by agency</caption>');
    expect(html).toContain('aria-labelledby="by-agency-caption"');
    expect(html).toContain('<th scope="col">Agency</th><th scope="col" class="numeric">Payments</th>');
    expect(html).toContain('<tr><th scope="row">Police</th><td class="numeric">3</td></tr>');
    expect(html).toContain('<tfoot><tr><th scope="row">Total</th><td class="numeric">3</td></tr></tfoot>');
  });
});
