import { useId } from "react";

/**
 * A horizontal bar chart drawn as SVG on the server: no script, no chart
 * library. The SVG is one image to assistive technology (`role="img"`, named
 * by its title and described by its desc); the figures themselves are in the
 * data table that goes beside every chart (`FigureTable`). Bars are hatched
 * and outlined, so they read without colour (in print, in forced colours),
 * and each bar's value is written at its end.
 */

export interface BarChartRow {
  label: string;
  value: number;
  /** The value as the reader should see it: "NT$1,234", "62.5%". */
  display: string;
}

const WIDTH = 640;
const ROW = 46;
const BAR = 18;
const LABEL_GAP = 18;
/** Room at the right for the value written after the longest bar. */
const VALUE_ROOM = 150;

export function BarChart({ title, description, rows }: { title: string; description: string; rows: readonly BarChartRow[] }) {
  // React's ids have colons, which a `url(#…)` reference would have to escape.
  const id = useId().replaceAll(":", "");
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const hatch = `${id}-hatch`;
  const max = Math.max(1, ...rows.map((row) => row.value));
  const height = Math.max(1, rows.length) * ROW + 8;
  const scale = (value: number) => Math.max(value > 0 ? 2 : 0, Math.round(((WIDTH - VALUE_ROOM) * value) / max));
  return (
    <svg
      className="bar-chart"
      role="img"
      aria-labelledby={titleId}
      aria-describedby={descId}
      viewBox={`0 0 ${WIDTH} ${height}`}
      width="100%"
      preserveAspectRatio="xMinYMin meet"
    >
      <title id={titleId}>{title}</title>
      <desc id={descId}>{description}</desc>
      <defs>
        <pattern id={hatch} width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="8" height="8" className="bar-chart-fill" />
          <line x1="0" y1="0" x2="0" y2="8" className="bar-chart-hatch" strokeWidth="3" />
        </pattern>
      </defs>
      {rows.map((row, i) => {
        const top = i * ROW + 4;
        const length = scale(row.value);
        return (
          <g key={`${row.label}-${i}`}>
            <text x="0" y={top + 13} className="bar-chart-label">
              {row.label}
            </text>
            <rect x="0" y={top + LABEL_GAP} width={length} height={BAR} fill={`url(#${hatch})`} className="bar-chart-bar" />
            <text x={length + 6} y={top + LABEL_GAP + 14} className="bar-chart-value">
              {row.display}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
