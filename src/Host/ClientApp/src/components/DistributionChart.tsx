import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '../lib/format';
import type { Distribution } from '../lib/types';

const ORDER: (keyof Distribution)[] = ['min', 'p10', 'median', 'mean', 'p90', 'max'];
const LABELS: Record<keyof Distribution, string> = { min: 'Min', p10: 'P10', median: 'Median', mean: 'Mean', p90: 'P90', max: 'Max' };

/** One distribution of the validation report as bars, with the same numbers in a table. */
export function DistributionChart({ title, unit, distribution, color, testId }: { title: string; unit: string; distribution: Distribution | null; color: string; testId?: string }) {
  if (!distribution) {
    return (
      <figure className="chart-figure" data-testid={testId}>
        <figcaption className="chart-figure__title">{title}</figcaption>
        <p className="muted">No examples to measure.</p>
      </figure>
    );
  }
  const data = ORDER.map((k) => ({ name: LABELS[k], value: distribution[k] }));
  return (
    <figure className="chart-figure" data-testid={testId}>
      <figcaption className="chart-figure__title">{title}</figcaption>
      <div className="chart chart--small" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -12 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
            <XAxis dataKey="name" tick={{ fontSize: 12, fill: '#4b5563' }} tickLine={false} axisLine={{ stroke: '#d1d5db' }} />
            <YAxis tick={{ fontSize: 12, fill: '#4b5563' }} tickLine={false} axisLine={false} allowDecimals={false} width={48} />
            <Tooltip formatter={(v) => [`${formatNumber(Number(v))} ${unit}`, title]} cursor={{ fill: '#eef2ff' }} />
            <Bar dataKey="value" fill={color} radius={[4, 4, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
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
