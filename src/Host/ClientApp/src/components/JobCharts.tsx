import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatLearningRate, formatNumber } from '../lib/format';
import type { MetricPoint } from '../lib/types';

const axisTick = { fontSize: 12, fill: '#4b5563' };
const axisTitle = { fontSize: 12, fill: '#374151' };
// both charts hover together on the same step, over the same step axis
const STEP_SYNC = 'job-steps';

/** A value axis with its title (and unit) written along it. */
function valueAxis(title: string, format: (v: number) => string) {
  return {
    tick: axisTick,
    tickLine: false,
    axisLine: false,
    width: 64,
    tickFormatter: format,
    label: { value: title, angle: -90, position: 'insideLeft' as const, style: { ...axisTitle, textAnchor: 'middle' as const } },
  };
}

/** The step axis both charts share (spread as props: recharts reads its own axis components). */
function stepAxis(totalSteps: number, points: MetricPoint[]) {
  return {
    dataKey: 'step',
    type: 'number' as const,
    domain: [0, Math.max(totalSteps, points.at(-1)?.step ?? 1)],
    tick: axisTick,
    tickLine: false,
    allowDecimals: false,
    height: 40,
    label: { value: `Training step (of ${totalSteps})`, position: 'insideBottom' as const, offset: 0, style: axisTitle },
  };
}

/** Training loss at each reported step, and the validation loss as each epoch's validation ends. */
export function LossChart({ points, totalSteps }: { points: MetricPoint[]; totalSteps: number }) {
  const validated = points.filter((p) => p.validation_loss !== null);
  return (
    <figure className="chart-figure" data-testid="loss-chart" data-points={points.length} data-validation-points={validated.length}>
      <figcaption className="chart-figure__title">Training and validation loss</figcaption>
      <div className="chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} syncId={STEP_SYNC} margin={{ top: 8, right: 16, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
            <XAxis {...stepAxis(totalSteps, points)} />
            <YAxis {...valueAxis('Loss (cross-entropy, nats)', (v) => formatNumber(v, 2))} domain={['auto', 'auto']} />
            <Tooltip labelFormatter={(step) => `Step ${step}`} formatter={(v, name) => [formatNumber(Number(v), 4), name]} />
            <Legend verticalAlign="top" wrapperStyle={{ fontSize: 13 }} />
            <Line type="monotone" dataKey="training_loss" name="Training loss" stroke="#ea580c" strokeWidth={2} dot={false} isAnimationActive={false} />
            {validated.length > 0 && (
              <Line type="monotone" dataKey="validation_loss" name="Validation loss (per epoch)" stroke="#2563eb" strokeWidth={2} dot={{ r: 4 }} connectNulls isAnimationActive={false} />
            )}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="visually-hidden">
        {points.length} points. Latest training loss {formatNumber(points.at(-1)?.training_loss, 4)} at step {points.at(-1)?.step}.
        {validated.length > 0 ? ` Validation loss ${formatNumber(validated.at(-1)?.validation_loss, 4)} after epoch ${validated.at(-1)?.epoch}.` : ' No validation loss.'}
      </p>
      <p className="small" data-testid="validation-points">
        {validated.length === 0
          ? 'No validation loss yet: it is computed at the end of each epoch, on the dataset’s validation examples.'
          : <>Validation loss by epoch: {validated.map((p, i) => (
              <span key={p.step} data-step={p.step}>{i > 0 ? ' · ' : ''}epoch {p.epoch} {formatNumber(p.validation_loss, 4)}</span>
            ))}</>}
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
          <LineChart data={points} syncId={STEP_SYNC} margin={{ top: 8, right: 16, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
            <XAxis {...stepAxis(totalSteps, points)} />
            <YAxis {...valueAxis('Learning rate (per step)', (v) => formatLearningRate(v))} />
            <Tooltip labelFormatter={(step) => `Step ${step}`} formatter={(v) => [formatLearningRate(Number(v)), 'Learning rate']} />
            <Line type="monotone" dataKey="learning_rate" name="Learning rate" stroke="#7c3aed" strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="visually-hidden">Latest learning rate {formatLearningRate(points.at(-1)?.learning_rate)}.</p>
    </figure>
  );
}
