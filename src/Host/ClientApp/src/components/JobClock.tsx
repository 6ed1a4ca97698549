import { useEffect, useState, type ReactNode } from 'react';
import { formatMoney, formatNumber } from '../lib/format';
import type { TrainingJob } from '../lib/types';
import { Card } from './ui';

/** Seconds as "45 s", "3 min 05 s" or "2 h 07 min". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The current time, once a second while <paramref name="ticking"/>: the clock moves between the server's updates. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [ticking]);
  return ticking ? now : Date.now();
}

/**
 * Elapsed time and time left while the job runs (left at the live pace the server measures from the cluster's
 * metric points, counted down here between updates); estimated against actual duration and cost once it ended.
 */
export function JobClock({ job }: { job: TrainingJob }) {
  const timing = job.timing;
  const now = useNow(job.is_active);
  if (!timing) return null;

  const startedAt = job.started_at ? new Date(job.started_at).getTime() : null;
  const elapsed = timing.actual_duration_seconds ?? (startedAt !== null ? (now - startedAt) / 1000 : null);
  const endAt = timing.estimated_end_at ? new Date(timing.estimated_end_at).getTime() : null;
  const left = endAt !== null ? Math.max(0, (endAt - now) / 1000) : null;
  const estimated = timing.estimated_duration_seconds;

  if (job.is_terminal) {
    const cost = job.final_cost ?? job.current_cost;
    // the run time the cluster billed (its GPU-seconds over the GPUs) is what the estimate estimated; it is the
    // time on the clock too, except where the cluster runs faster than life (the simulator's time scale)
    const billed = job.gpu_seconds !== null && job.gpu_config.num_gpus > 0 ? job.gpu_seconds / job.gpu_config.num_gpus : null;
    const took = billed ?? elapsed;
    const clockDiffers = billed !== null && elapsed !== null && Math.abs(billed - elapsed) > Math.max(60, 0.1 * billed);
    return (
      <Card title="Time and cost" testId="job-clock">
        <div className="stats-grid stats-grid--3">
          <Fact label={billed !== null ? 'Took (GPU time billed)' : 'Took'} value={formatSeconds(took)} testId="clock-actual"
            hint={<>estimated {formatSeconds(estimated)}{took !== null && estimated > 0 ? ` (${difference(took, estimated)})` : ''}{clockDiffers ? ` · ${formatSeconds(elapsed)} on the clock` : ''}</>} />
          <Fact label={job.status === 'completed' ? 'Cost' : 'Cost until it stopped'} value={formatMoney(cost)} testId="clock-cost"
            hint={<>estimated {formatMoney(job.estimated_compute_cost)}{job.estimated_compute_cost > 0 ? ` (${difference(cost, job.estimated_compute_cost)})` : ''}{storageNote(job)}</>} />
          <Fact label="Steps" value={`${job.current_step} / ${job.total_steps}`} testId="clock-steps" hint={job.status === 'completed' ? 'all trained' : 'trained before it stopped'} />
        </div>
      </Card>
    );
  }

  const running = job.status === 'running';
  return (
    <Card title="Time" testId="job-clock">
      <div className="stats-grid stats-grid--3">
        <Fact label="Elapsed" value={startedAt !== null ? formatSeconds(elapsed) : 'Not started'} testId="clock-elapsed" 
          hint={job.gpu_seconds !== null && job.gpu_config.num_gpus > 0
            ? `${formatSeconds(job.gpu_seconds / job.gpu_config.num_gpus)} of GPU time billed, of ${formatSeconds(estimated)} estimated`
            : `of ${formatSeconds(estimated)} estimated`} />
        <Fact
          label="Time left"
          testId="clock-left"
          value={left === null ? (running ? 'Measuring…' : '—') : left === 0 ? 'Finishing…' : formatSeconds(left)}
          hint={left === null ? (running ? 'after the first steps' : 'while the job runs') : 'at the current pace, without the final save'}
        />
        <Fact
          label="Pace"
          testId="clock-pace"
          value={timing.steps_per_second !== null ? `${formatNumber(timing.steps_per_second, timing.steps_per_second < 10 ? 2 : 0)} steps/s` : '—'}
          hint={`${job.total_steps - job.current_step} of ${job.total_steps} steps to go`}
        />
      </div>
    </Card>
  );
}

function Fact({ label, value, hint, testId }: { label: string; value: string; hint?: ReactNode; testId: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="stat__label">{label}</div>
      <div className="stat__value">{value}</div>
      {hint && <div className="stat__hint">{hint}</div>}
    </div>
  );
}

/** How far an actual figure is from its estimate, in words. */
function difference(actual: number, estimate: number): string {
  const pct = Math.round(((actual - estimate) / estimate) * 100);
  return pct === 0 ? 'on the estimate' : pct > 0 ? `${pct}% over` : `${-pct}% under`;
}

/** The job's cost is its GPU time; the estimate's storage line is billed to the model once it is stored. */
function storageNote(job: TrainingJob): string {
  const storage = job.estimated_total_cost - job.estimated_compute_cost;
  return storage > 0 ? ` · ${formatMoney(job.estimated_total_cost)} with the model's storage` : '';
}
