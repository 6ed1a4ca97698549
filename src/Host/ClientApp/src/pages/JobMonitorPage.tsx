import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../lib/api';
import { formatDateTime, formatDuration, formatFixed, formatInt, formatLearningRate, formatMoney, formatNumber, formatTime, titleCase } from '../lib/format';
import { useDocumentTitle } from '../lib/hooks';
import { jobKey, useLiveJob, type LiveMode } from '../lib/liveJob';
import type { JobDetails, JobEvent, TrainingJob } from '../lib/types';
import {
  Card, ConfirmDialog, DefinitionList, EmptyState, LoadError, Notice, PageHeader, ProblemAlert, ProgressBar, Skeleton, Spinner, Stat, StatusBadge, Tabs,
} from '../components/ui';
import { LearningRateChart, LossChart } from '../components/JobCharts';
import { CheckpointsTab } from '../components/CheckpointsTab';
import { JobClock } from '../components/JobClock';
import { JobEventsLog } from '../components/JobEventsLog';

const liveLabels: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  streaming: 'Live',
  polling: 'Refreshing every 2 s',
  ended: 'Final',
};

export function JobMonitorPage() {
  const { id = '' } = useParams();
  const live = useLiveJob(id);
  const queryClient = useQueryClient();
  const [confirmCancel, setConfirmCancel] = useState(false);
  useDocumentTitle(live.data ? `Job on ${live.data.job.dataset.name}` : 'Training monitor');

  const cancel = useMutation({
    mutationFn: () => unwrap(client.POST('/api/jobs/{id}/cancel', { params: { path: { id } } })),
    onSuccess: (job) => {
      // the cancelled job at once; the detail read again for its revision, cost records and final metrics
      queryClient.setQueryData<JobDetails>(jobKey(id), (prev) => (prev ? { ...prev, job } : prev));
      queryClient.invalidateQueries({ queryKey: jobKey(id) });
      queryClient.invalidateQueries({ queryKey: ['jobs'] });
      setConfirmCancel(false);
    },
  });

  // pause and resume answer the job as it is now; the detail is read again for its revision
  const lifecycle = useMutation({
    mutationFn: (action: 'pause' | 'resume') => unwrap(client.POST(action === 'pause' ? '/api/jobs/{id}/pause' : '/api/jobs/{id}/resume', { params: { path: { id } } })),
    onSuccess: (job) => {
      queryClient.setQueryData<JobDetails>(jobKey(id), (prev) => (prev ? { ...prev, job } : prev));
      queryClient.invalidateQueries({ queryKey: jobKey(id) });
      queryClient.invalidateQueries({ queryKey: ['jobs'] });
    },
  });

  const back = { to: '/training/jobs', label: 'Jobs' };
  if (live.isPending) {
    return (
      <div className="page">
        <PageHeader title="Training monitor" back={back} />
        <Skeleton rows={6} />
      </div>
    );
  }
  if (live.error || !live.data) {
    return (
      <div className="page">
        <PageHeader title="Training monitor" back={back} />
        <LoadError error={live.error} what="Job" back={{ to: '/training/jobs', label: 'Back to jobs' }} />
      </div>
    );
  }

  const { job, metrics } = live.data;
  const m = job.current_metrics;
  const cost = job.final_cost ?? job.current_cost;
  const lastValidation = [...metrics].reverse().find((p) => p.validation_loss !== null)?.validation_loss ?? m?.validation_loss ?? null;

  return (
    <div className="page">
      <PageHeader
        back={back}
        title={
          <span className="title-with-badge">
            Training monitor <StatusBadge status={job.status} className="badge--large" />
          </span>
        }
        subtitle={
          <>
            <Link to={`/datasets/${job.dataset_id}`}>{job.dataset.name}</Link> · {titleCase(job.preset_id)} preset · {job.gpu_config.num_gpus}× {job.gpu_config.gpu_type}
          </>
        }
        actions={
          <>
            <span className={`live live--${live.mode}`} data-testid="live-mode" aria-live="polite">
              <span className="live__dot" aria-hidden="true" />
              {liveLabels[live.mode]}
            </span>
            {job.status === 'running' && job.current_stage !== 'resuming' && (
              <button type="button" className="button" onClick={() => lifecycle.mutate('pause')} disabled={lifecycle.isPending} data-testid="pause-job">
                Pause
              </button>
            )}
            {job.status === 'paused' && (
              <button type="button" className="button button--primary" onClick={() => lifecycle.mutate('resume')} disabled={lifecycle.isPending} data-testid="resume-job">
                Resume
              </button>
            )}
            {job.is_active && (
              <button type="button" className="button button--danger-outline" onClick={() => setConfirmCancel(true)} disabled={cancel.isPending}>
                Cancel job
              </button>
            )}
          </>
        }
      />

      {job.status === 'failed' && (
        <div className="alert alert--error" role="alert">
          <div className="alert__icon" aria-hidden="true">!</div>
          <div className="alert__body">
            <p className="alert__title">The training failed</p>
            <p className="alert__details">{job.error_message ?? 'The GPU cluster reported a failure.'}</p>
          </div>
        </div>
      )}
      <ProblemAlert error={lifecycle.error} title={lifecycle.variables === 'resume' ? 'The job could not be resumed' : 'The job could not be paused'} />
      {job.status === 'paused' && (
        <Notice tone="info" title="This job is paused" role="status">
          Its checkpoint at step {formatInt(job.current_step)} is kept and it uses no GPU time; resume it to continue from there as attempt {job.attempt + 1}.
        </Notice>
      )}
      {job.status === 'recovering' && (
        <Notice tone="warning" title="The GPU cluster stopped this job" role="status">
          It was preempted or lost its node and restarts from its latest checkpoint (recovery {job.recovery_count}). The steps after that checkpoint run again.
        </Notice>
      )}
      {job.status === 'cancelled' && <Notice tone="info" title="This job was cancelled" role="status">It stopped costing when it was cancelled; the cost so far is final.</Notice>}
      {job.status === 'completed' && (
        <Notice tone="success" title="Training complete" role="status">
          {job.artifact_id ? (
            <>The adapter is stored. <Link to={`/models/${job.artifact_id}`} data-testid="model-link">View the model</Link></>
          ) : (
            <span className="inline-spinner"><Spinner /> Collecting the adapter files from the cluster…</span>
          )}
        </Notice>
      )}

      <Card title="Progress" testId="progress-card">
        {/* by steps, as the server counts it: step 3 of 15 is 20% */}
        <ProgressBar value={job.progress} label="Training progress" tone={job.status === 'failed' ? 'danger' : job.status === 'completed' ? 'success' : undefined} />
        <div className="progress-facts">
          <span data-testid="job-stage">Stage: <strong>{titleCase(job.current_stage)}</strong></span>
          <span data-testid="job-epoch">Epoch <strong>{job.current_epoch}</strong> / {job.total_epochs}</span>
          <span data-testid="job-step">Step <strong>{formatInt(job.current_step)}</strong> / {formatInt(job.total_steps)}</span>
          <span data-testid="job-progress">{formatNumber(job.progress, job.progress >= 100 || job.progress === 0 ? 0 : 1)}% of the steps</span>
          {job.is_active && job.estimated_completion_at && <span>Estimated end {formatDateTime(job.estimated_completion_at)}</span>}
          {job.completed_at && <span>Ended {formatDateTime(job.completed_at)}</span>}
        </div>
      </Card>

      <JobClock job={job} />

      <div className="stats-grid stats-grid--5">
        <Stat label="Training loss" value={formatFixed(m?.training_loss, 4)} testId="stat-training-loss" />
        <Stat
          label="Validation loss"
          value={formatFixed(lastValidation, 4)}
          hint={lastValidation === null ? (job.is_terminal ? 'none: no validation examples' : 'at the end of each epoch') : undefined}
          testId="stat-validation-loss"
        />
        <Stat label="Throughput" value={m?.throughput ? formatNumber(m.throughput, 0) : '—'} hint="tokens/s" testId="stat-throughput" />
        <Stat
          label="GPU utilisation"
          value={m?.gpu_utilization ? `${formatFixed(m.gpu_utilization, 1)}%` : '—'}
          hint={m?.gpu_utilization ? <ProgressBar value={m.gpu_utilization} label="GPU utilisation" showValue={false} /> : `${job.gpu_config.num_gpus}× ${job.gpu_config.gpu_type}`}
          testId="stat-gpu"
        />
        <Stat
          label={job.final_cost !== null ? 'Final cost' : 'Cost so far'}
          value={<span data-testid="job-cost">{formatMoney(cost)}</span>}
          hint={
            <>
              of {formatMoney(job.estimated_compute_cost)} estimated for the GPUs · {formatMoney(job.hourly_rate)}/h
              {job.gpu_seconds !== null && <> · {formatGpuTime(job.gpu_seconds)} of GPU time</>}
              {job.attempts && job.attempts.length > 1 && (
                <span className="attempts" data-testid="cost-attempts">
                  {job.attempts.map((a) => (
                    <span key={a.attempt} className="attempts__item">
                      attempt {a.attempt}: {formatGpuTime(a.gpu_seconds)}, {formatMoney(a.cost)} ({a.outcome.replace('_', ' ')})
                    </span>
                  ))}
                </span>
              )}
            </>
          }
          tone={cost > job.estimated_compute_cost ? 'warning' : undefined}
          testId="stat-cost"
        />
      </div>

      <Tabs
        label="Job details"
        tabs={[
          {
            id: 'metrics',
            label: 'Metrics',
            content:
              metrics.length === 0 ? (
                <EmptyState icon="∿" title={job.is_active ? 'Waiting for the first metrics' : 'No metrics were recorded'}>
                  {job.is_active ? 'The cluster reports loss and learning rate once training steps run.' : 'The job ended before any training step.'}
                </EmptyState>
              ) : (
                <div className="chart-stack">
                  <LossChart points={metrics} totalSteps={job.total_steps} />
                  <LearningRateChart points={metrics} totalSteps={job.total_steps} />
                </div>
              ),
          },
          { id: 'checkpoints', label: `Checkpoints${job.checkpoint_count > 0 ? ` (${job.checkpoint_count})` : ''}`, content: <CheckpointsTab job={job} /> },
          { id: 'config', label: 'Configuration', content: <ConfigurationTab job={job} /> },
          { id: 'info', label: 'Job info', content: <InfoTab job={job} /> },
          { id: 'history', label: 'History', content: <HistoryTab job={job} /> },
        ]}
      />

      <JobEventsLog job={job} />

      <ConfirmDialog
        open={confirmCancel}
        title="Cancel this training job?"
        confirmLabel="Yes, cancel the job"
        cancelLabel="Keep training"
        danger
        busy={cancel.isPending}
        error={cancel.error}
        onConfirm={() => cancel.mutate()}
        onClose={() => {
          setConfirmCancel(false);
          cancel.reset();
        }}
      >
        <p>The GPUs are released and the job stops costing now. You pay for the time used so far ({formatMoney(cost)}); no model is produced.</p>
      </ConfirmDialog>
    </div>
  );
}

function ConfigurationTab({ job }: { job: TrainingJob }) {
  const hp = job.hyperparameters;
  const gpu = job.gpu_config;
  return (
    <div className="two-columns">
      <Card title="Hyperparameters" headingLevel={3}>
        <DefinitionList
          items={[
            ['Base model', hp.base_model],
            ['Learning rate', formatLearningRate(hp.learning_rate)],
            ['Batch size', hp.batch_size],
            ['Epochs', hp.num_epochs],
            ['LoRA rank', hp.lora_rank],
            ['LoRA alpha', hp.lora_alpha],
            ['LoRA dropout', hp.lora_dropout],
            ['Warm-up steps', hp.warmup_steps ?? 'default'],
            ['Weight decay', hp.weight_decay ?? 'default'],
          ]}
        />
      </Card>
      <Card title="GPUs" headingLevel={3}>
        <DefinitionList
          items={[
            ['GPU type', gpu.gpu_type],
            ['GPU count', gpu.num_gpus],
            ['Memory per GPU', `${gpu.gpu_memory_gb} GB`],
            ['Cost per GPU', `${formatMoney(gpu.cost_per_gpu_hour)}/h`],
            ['Hourly rate', `${formatMoney(gpu.hourly_rate)}/h`],
            ['Estimated duration', formatDuration(job.estimated_duration_hours)],
          ]}
        />
      </Card>
    </div>
  );
}

function InfoTab({ job }: { job: TrainingJob }) {
  return (
    <Card title="Job" headingLevel={3}>
      <DefinitionList
        items={[
          ['Job ID', <code key="id">{job.id}</code>],
          ['Dataset', <Link key="ds" to={`/datasets/${job.dataset_id}`}>{job.dataset.name}</Link>],
          ['Training examples', formatInt(job.dataset.total_training_pairs)],
          ['Preset', titleCase(job.preset_id)],
          ['Queued', formatDateTime(job.queued_at)],
          ['Started', formatDateTime(job.started_at)],
          ['Ended', formatDateTime(job.completed_at)],
          ['Cluster job ID', job.external_job_id ? <code key="ext">{job.external_job_id}</code> : '—'],
          ['Retries', job.retry_count],
          ['Attempts on the cluster', job.attempt],
          ['Recoveries', job.recovery_count],
          ['Model', job.artifact_id ? <Link key="model" to={`/models/${job.artifact_id}`}>View the model</Link> : '—'],
          ...(job.error_message ? ([['Error', job.error_message]] as [string, string][]) : []),
        ]}
      />
    </Card>
  );
}

const eventTitles: Record<string, string> = {
  training_job_queued: 'Queued',
  training_job_initializing: 'Initializing on the cluster',
  training_job_submitted: 'Submitted to the GPU cluster',
  training_job_started: 'Training started',
  training_job_completed: 'Training completed',
  training_job_failed: 'Training failed',
  training_job_cancelled: 'Cancelled',
  artifact_linked: 'Model stored',
  training_metrics_recorded: 'Metrics recorded',
  training_progress_recorded: 'Progress reported',
  training_job_submission_failed: 'Submission attempt failed',
  cluster_status_check_failed: 'Status check failed',
  training_job_paused: 'Paused',
  training_job_resume_requested: 'Resume requested',
  training_job_resumed: 'Running again',
  training_job_preempted: 'Stopped by the cluster',
  training_checkpoint_recorded: 'Checkpoint saved',
};

interface TimelineEntry {
  key: string;
  title: string;
  detail: string;
  at: string;
  tone: string;
  count: number;
}

/** Consecutive progress and metric reports fold into one line, so the story stays readable. */
function timeline(events: JobEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const e of events) {
    const routine = e.type === 'training_progress_recorded' || e.type === 'training_metrics_recorded';
    const last = entries.at(-1);
    if (routine && last && last.key.startsWith(`${e.type}:`)) {
      last.count++;
      last.at = e.timestamp;
      last.detail = describe(e, last.count);
      continue;
    }
    entries.push({
      key: `${e.type}:${e.version}`,
      title: eventTitles[e.type] ?? titleCase(e.type),
      detail: describe(e, 1),
      at: e.timestamp,
      tone: e.type === 'training_job_failed' ? 'danger' : e.type.endsWith('failed') || e.type === 'training_job_preempted' ? 'warning' : e.type.endsWith('completed') || e.type === 'artifact_linked' ? 'success' : e.type.endsWith('cancelled') ? 'muted' : routine ? 'routine' : 'info',
      count: 1,
    });
  }
  return entries;
}

function describe(e: JobEvent, count: number): string {
  const d = e.data;
  switch (e.type) {
    case 'training_job_queued':
      return `Estimated ${formatMoney(d.estimated_total_cost as number)} for ${formatInt(d.total_steps as number)} steps`;
    case 'training_job_submitted':
      return `Cluster job ${String(d.external_job_id ?? '')}`;
    case 'training_job_started':
      return `At ${formatMoney(d.hourly_rate as number)}/h`;
    case 'training_job_completed':
      return `Final cost ${formatMoney(d.final_cost as number)}`;
    case 'training_job_failed':
      return `${String(d.reason ?? '')} · final cost ${formatMoney(d.final_cost as number)}`;
    case 'training_job_submission_failed':
      return `Attempt ${String(d.attempt ?? '?')}: ${String(d.error ?? '')}`;
    case 'cluster_status_check_failed':
      return `${String(d.consecutive_failures ?? '?')} in a row: ${String(d.error ?? '')}`;
    case 'training_job_cancelled':
      return [d.reason, d.final_cost !== undefined ? `final cost ${formatMoney(d.final_cost as number)}` : ''].filter(Boolean).join(' · ');
    case 'training_job_paused':
      return `Attempt ${String(d.attempt)} at step ${formatInt(d.step as number)} · ${String(d.reason ?? '')} · ${formatMoney(d.cost_so_far as number)} so far`;
    case 'training_job_preempted':
      return `Attempt ${String(d.attempt)}: ${String(d.reason ?? '')} · recovery ${String(d.recovery_count)}` +
        (d.checkpoint_step !== null && d.checkpoint_step !== undefined ? ` from the checkpoint at step ${formatInt(d.checkpoint_step as number)}` : ' from the start');
    case 'training_job_resumed':
      return `Attempt ${String(d.attempt)} from step ${formatInt(d.from_step as number)}${d.after_preemption ? ' (recovery)' : ''}`;
    case 'training_checkpoint_recorded':
      return `Step ${formatInt(d.step as number)}, epoch ${String(d.epoch)} · loss ${formatFixed(d.training_loss as number | null, 4)}`;
    case 'training_progress_recorded':
      return `${count} report${count === 1 ? '' : 's'} · latest: ${titleCase(String(d.stage ?? ''))}, ${formatNumber(d.progress as number, 1)}%, ${formatMoney(d.current_cost as number)}`;
    case 'training_metrics_recorded': {
      const points = (d.points as unknown[] | undefined)?.length ?? 0;
      return `${count} batch${count === 1 ? '' : 'es'} · ${points} point${points === 1 ? '' : 's'} in the latest`;
    }
    default:
      return '';
  }
}

function HistoryTab({ job }: { job: TrainingJob }) {
  const events = useQuery({
    queryKey: ['job-events', job.id, job.status, job.artifact_id],
    queryFn: ({ signal }) => unwrap(client.GET('/api/jobs/{id}/events', { params: { path: { id: job.id } }, signal })) as Promise<{ job_id: string; events: JobEvent[] }>,
    refetchInterval: job.is_active ? 5000 : false,
  });
  if (events.isPending) return <Skeleton rows={4} />;
  if (events.error) return <ProblemAlert error={events.error} title="Could not load the history" />;
  const entries = timeline(events.data.events);
  if (entries.length === 0) return <EmptyState title="No history yet" />;
  return (
    <Card title="History" description="The job's event stream, oldest first; it is the audit record of the job." headingLevel={3}>
      <ol className="timeline" data-testid="timeline">
        {entries.map((entry) => (
          <li key={entry.key} className={`timeline__item timeline__item--${entry.tone}`}>
            <span className="timeline__marker" aria-hidden="true" />
            <div className="timeline__content">
              <div className="timeline__head">
                <span className="timeline__title">{entry.title}</span>
                <time className="timeline__time" dateTime={entry.at}>{formatTime(entry.at)}</time>
              </div>
              {entry.detail && <p className="timeline__detail">{entry.detail}</p>}
            </div>
          </li>
        ))}
      </ol>
    </Card>
  );
}

/** GPU-seconds as hours and minutes of GPU time. */
function formatGpuTime(gpuSeconds: number): string {
  const minutes = Math.round(gpuSeconds / 60);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}
