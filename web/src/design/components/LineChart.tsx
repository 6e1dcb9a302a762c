import "./components.css";

export interface Series {
  key: string;
  label: string;
  /** Points in time order; `y: null` is a gap (no value yet). */
  points: { x: number; y: number | null }[];
  /** Dashed series are told apart by their stroke pattern too, never by colour alone. */
  dashed?: boolean;
}

/**
 * A small SVG line chart over time with an optional threshold line (e.g. a gate). It is an image with a
 * name, and the same numbers are one click away as a table (`tableLabel`), so nothing is only visual.
 * `format` writes a value for the axis and the table; `formatX` writes a time.
 */
export function LineChart({
  title,
  series,
  threshold,
  thresholdLabel,
  format,
  formatX,
  tableLabel,
  xLabel,
}: {
  title: string;
  series: Series[];
  threshold?: number | null;
  thresholdLabel?: string;
  format: (value: number) => string;
  formatX: (x: number) => string;
  tableLabel: string;
  xLabel: string;
}) {
  const width = 320;
  const height = 120;
  const pad = { left: 44, right: 8, top: 8, bottom: 18 };
  const values = series.flatMap((s) => s.points.map((p) => p.y).filter((y): y is number => y !== null));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const top = Math.max(...values, threshold ?? 0, Number.MIN_VALUE);
  const bottom = Math.min(...values, threshold ?? top, 0);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const sx = (x: number) => pad.left + (x1 > x0 ? ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right) : 0);
  const sy = (y: number) => pad.top + (1 - (y - bottom) / (top - bottom || 1)) * (height - pad.top - pad.bottom);
  const path = (s: Series) =>
    s.points
      .filter((p) => p.y !== null)
      .map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y as number).toFixed(1)}`)
      .join(" ");
  const rows = [...new Set(xs)].sort((a, b) => a - b);
  return (
    <figure className="pw-chart pw-line-chart">
      <figcaption className="pw-line-chart__title">{title}</figcaption>
      <svg role="img" aria-label={title} viewBox={`0 0 ${width} ${height}`} className="pw-chart__svg">
        <line x1={pad.left} x2={width - pad.right} y1={sy(bottom)} y2={sy(bottom)} className="pw-line-chart__axis" />
        <text x={pad.left - 4} y={sy(top) + 4} textAnchor="end" className="pw-chart__label">
          {format(top)}
        </text>
        <text x={pad.left - 4} y={sy(bottom)} textAnchor="end" className="pw-chart__label">
          {format(bottom)}
        </text>
        {threshold !== undefined && threshold !== null && (
          <line x1={pad.left} x2={width - pad.right} y1={sy(threshold)} y2={sy(threshold)} className="pw-line-chart__threshold" />
        )}
        {series.map((s, i) => (
          <path
            key={s.key}
            d={path(s)}
            className={`pw-line-chart__line pw-line-chart__line--${i % 2}`}
            strokeDasharray={s.dashed ? "5 3" : undefined}
          />
        ))}
      </svg>
      <ul className="pw-line-chart__legend" aria-hidden="true">
        {series.map((s, i) => (
          <li key={s.key}>
            <svg width="24" height="8" viewBox="0 0 24 8">
              <line x1="0" x2="24" y1="4" y2="4" className={`pw-line-chart__line pw-line-chart__line--${i % 2}`} strokeDasharray={s.dashed ? "5 3" : undefined} />
            </svg>{" "}
            {s.label}
          </li>
        ))}
        {threshold !== undefined && threshold !== null && thresholdLabel && <li>┄ {thresholdLabel}</li>}
      </ul>
      <details className="pw-line-chart__data">
        <summary>{tableLabel}</summary>
        <table className="pw-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{xLabel}</th>
              {series.map((s) => (
                <th key={s.key} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((x) => (
              <tr key={x}>
                <th scope="row">{formatX(x)}</th>
                {series.map((s) => {
                  const found = s.points.find((p) => p.x === x);
                  return <td key={s.key}>{found && found.y !== null ? format(found.y) : "–"}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
