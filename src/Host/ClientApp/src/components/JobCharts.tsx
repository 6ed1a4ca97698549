import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatLearningRate, formatNumber } from '../lib/format';
import type { MetricPoint } from '../lib/types';

const axisTick = { fontSize: 12, fill: '#4b5563' };

export function LossChart({ points, totalSteps }: { points: MetricPoint[]; totalSteps: number }) {
  const hasValidation = points.some((p) => p.validation_loss !== null);
  return (
    <figure className="chart-figure" data-testid="loss-chart" data-points={points.length}>
      <figcaption className="chart-figure__title">Training and validation loss</figcaption>
      <div className="chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
            <XAxis dataKey="step" type="number" domain={[0, Math.max(totalSteps, points.at(-1)?.step ?? 1)]} tick={axisTick} tickLine={false} allowDecimals={false} />
            <YAxis tick={axisTick} tickLine={false} axisLine={false} width={48} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 2)} />
            <Tooltip labelFormatter={(step) => `Step ${step}`} formatter={(v, name) => [formatNumber(Number(v), 4), name]} />
            <Legend wrapperStyle={{ fontSize: 13 }} />
            <Line type="monotone" dataKey="training_loss" name="Training loss" stroke="#ea580c" strokeWidth={2} dot={false} isAnimationActive={false} />
            {hasValidation && (
              <Line type="monotone" dataKey="validation_loss" name="Validation loss" stroke="#2563eb" strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
            )}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="visually-hidden">
        {points.length} points. Latest training loss {formatNumber(points.at(-1)?.training_loss, 4)} at step {points.at(-1)?.step}.
      </p>
    </figure>
  );
}

export function LearningRateChart({ points, totalSteps }: { points: MetricPoint[]; totalSteps: number }) {
  return (
    <figure className="chart-figure" data-testid="lr-chart" data-points={points.length}>
      <figcaption className="chart-figure__title">Learning rate schedule</figcaption>
      <div className="chart chart--medium" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
            <XAxis dataKey="step" type="number" domain={[0, Math.max(totalSteps, points.at(-1)?.step ?? 1)]} tick={axisTick} tickLine={false} allowDecimals={false} />
            <YAxis tick={axisTick} tickLine={false} axisLine={false} width={64} tickFormatter={(v: number) => formatLearningRate(v)} />
            <Tooltip labelFormatter={(step) => `Step ${step}`} formatter={(v) => [formatLearningRate(Number(v)), 'Learning rate']} />
            <Line type="monotone" dataKey="learning_rate" name="Learning rate" stroke="#7c3aed" strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="visually-hidden">Latest learning rate {formatLearningRate(points.at(-1)?.learning_rate)}.</p>
    </figure>
  );
}
