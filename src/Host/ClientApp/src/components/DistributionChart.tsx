import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCompact, formatInt, formatNumber, plural } from '../lib/format';
import type { Distribution, HistogramBin } from '../lib/types';

const ORDER: (keyof Distribution)[] = ['min', 'p10', 'median', 'mean', 'p90', 'max'];
const LABELS: Record<keyof Distribution, string> = { min: 'Min', p10: 'P10', median: 'Median', mean: 'Mean', p90: 'P90', max: 'Max' };

/** "2" for a bin of one value, "500–999" for a wider one, in the short form the axis has room for. */
function binLabel(bin: HistogramBin, short: boolean): string {
  const f = short ? formatCompact : formatInt;
  return bin.from === bin.to ? f(bin.from) : `${f(bin.from)}–${f(bin.to)}`;
}

/**
 * One measure of the validation report as a histogram: how many examples fall in each bin of values (bins of
 * round width from the server, empty ones included), with the summary figures in a table below.
 * Reports recorded before histograms show only the table.
 */
export function DistributionChart({ title, unit, distribution, histogram, color, testId }: {
  title: string;
  unit: string;
  distribution: Distribution | null;
  histogram: HistogramBin[] | null | undefined;
  color: string;
  testId?: string;
}) {
  if (!distribution) {
    return (
      <figure className="chart-figure" data-testid={testId}>
        <figcaption className="chart-figure__title">{title}</figcaption>
        <p className="muted">No examples to measure.</p>
      </figure>
    );
  }
  const bins = histogram ?? [];
  const data = bins.map((b) => ({ ...b, label: binLabel(b, true), range: binLabel(b, false) }));
  const examples = bins.reduce((sum, b) => sum + b.count, 0);
  return (
    <figure className="chart-figure" data-testid={testId} data-bins={bins.length} data-examples={examples}>
      <figcaption className="chart-figure__title">{title}</figcaption>
      {bins.length > 0 ? (
        <div className="chart chart--small" aria-hidden="true">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 20, left: 4 }} barCategoryGap={1} accessibilityLayer={false}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
              <XAxis
                dataKey="label"
                tick={{ fontSize: 11, fill: '#4b5563' }}
                tickLine={false}
                axisLine={{ stroke: '#d1d5db' }}
                interval="preserveStartEnd"
                minTickGap={8}
                label={{ value: unit, position: 'insideBottom', offset: -14, fontSize: 12, fill: '#4b5563' }}
              />
              <YAxis
                tick={{ fontSize: 11, fill: '#4b5563' }}
                tickLine={false}
                axisLine={false}
                allowDecimals={false}
                width={44}
                tickFormatter={(v: number) => formatCompact(v)}
                label={{ value: 'examples', angle: -90, position: 'insideLeft', offset: 8, fontSize: 12, fill: '#4b5563' }}
              />
              <Tooltip
                formatter={(v) => [plural(Number(v), 'example'), title]}
                labelFormatter={(_, payload) => `${payload?.[0]?.payload?.range ?? ''} ${unit}`}
                cursor={{ fill: '#eef2ff' }}
              />
              <Bar dataKey="count" fill={color} radius={[3, 3, 0, 0]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      ) : (
        <p className="muted small">Validate the dataset again to see this histogram.</p>
      )}
      {bins.length > 0 && (
        // the bins for screen readers; hidden by a wrapper because a table grows to its content whatever its
        // width says, and on a phone this one made the page 83px wider than the screen
        <div className="visually-hidden">
        <table data-testid={testId ? `${testId}-bins` : undefined}>
          <caption>{title}: examples per range of {unit}</caption>
          <thead>
            <tr><th scope="col">{unit}</th><th scope="col">examples</th></tr>
          </thead>
          <tbody>
            {data.map((b) => (
              <tr key={b.from}><td>{b.range}</td><td>{b.count}</td></tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      <table className="mini-table">
        <caption className="visually-hidden">{title} ({unit})</caption>
        <thead>
          <tr>
            {ORDER.map((k) => (
              <th key={k} scope="col">{LABELS[k]}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            {ORDER.map((k) => (
              <td key={k}>{formatNumber(distribution[k], 1)}</td>
            ))}
          </tr>
        </tbody>
      </table>
    </figure>
  );
}
