import "./components.css";

export interface Bar {
  key: string;
  label: string;
  value: number;
  /** What a screen reader hears for the bar, e.g. "12 minutes on 3 December". */
  description: string;
}

/**
 * A small bar chart in SVG, drawn by hand because one chart does not earn a charting library's weight
 * in the learner bundle. It is an image with a name; the same numbers are given as a list for
 * assistive technology, so nothing is only visual.
 */
export function BarChart({ title, bars, max }: { title: string; bars: Bar[]; max?: number }) {
  const top = Math.max(max ?? 0, ...bars.map((b) => b.value), 1);
  const width = 28;
  const gap = 8;
  const height = 120;
  const total = bars.length * (width + gap);
  return (
    <figure className="pw-chart">
      <svg role="img" aria-label={title} viewBox={`0 0 ${total} ${height + 20}`} className="pw-chart__svg">
        {bars.map((b, i) => {
          const h = Math.round((b.value / top) * height);
          return (
            <g key={b.key}>
              <rect x={i * (width + gap)} y={height - h} width={width} height={h} rx="3" className="pw-chart__bar" />
              <text x={i * (width + gap) + width / 2} y={height + 14} textAnchor="middle" className="pw-chart__label">
                {b.label}
              </text>
            </g>
          );
        })}
      </svg>
      <ul className="visually-hidden">
        {bars.map((b) => (
          <li key={b.key}>{b.description}</li>
        ))}
      </ul>
    </figure>
  );
}
