// A horizontal bar chart in SVG, with the same numbers in a table beside it for screen readers
// and for copying.
export interface Bar {
  label: string;
  value: number;
}

const ROW = 26;
const LABEL_WIDTH = 220;
const WIDTH = 560;

export function BarChart({ title, bars, unit = "uses" }: { title: string; bars: Bar[]; unit?: string }) {
  const id = `chart-${title.replace(/\W+/g, "-").toLowerCase()}`;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(ROW, bars.length * ROW);
  const scale = (WIDTH - LABEL_WIDTH - 60) / max;
  return (
    <figure className="chart" aria-labelledby={id}>
      <figcaption id={id}>{title}</figcaption>
      {bars.length === 0 ? (
        <p>No uses in this period.</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label={`${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(", ")}`}>
            {bars.map((bar, i) => (
              <g key={bar.label} transform={`translate(0 ${i * ROW})`}>
                <text x={LABEL_WIDTH - 8} y={ROW / 2 + 5} textAnchor="end" className="chart-label">
                  {bar.label.length > 30 ? bar.label.slice(0, 29) + "…" : bar.label}
                </text>
                <rect x={LABEL_WIDTH} y={4} height={ROW - 8} width={Math.max(2, bar.value * scale)} className="chart-bar" />
                <text x={LABEL_WIDTH + Math.max(2, bar.value * scale) + 6} y={ROW / 2 + 5} className="chart-value">
                  {bar.value}
                </text>
              </g>
            ))}
          </svg>
          <table className="chart-table">
            <thead>
              <tr>
                <th scope="col">{title}</th>
                <th scope="col">{unit}</th>
              </tr>
            </thead>
            <tbody>
              {bars.map((bar) => (
                <tr key={bar.label}>
                  <td>{bar.label}</td>
                  <td>{bar.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </figure>
  );
}
