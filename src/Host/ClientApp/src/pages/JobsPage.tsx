import { useId } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../lib/api';
import { formatDateTime, formatMoney } from '../lib/format';
import { useDocumentTitle } from '../lib/hooks';
import type { JobStatus } from '../lib/types';
import { Card, EmptyState, PageHeader, Pagination, ProblemAlert, ProgressBar, Skeleton, StatusBadge } from '../components/ui';

const STATUSES = ['queued', 'initializing', 'running', 'paused', 'recovering', 'completed', 'failed', 'cancelled'];
const PAGE_SIZE = 10;

export function JobsPage() {
  useDocumentTitle('Training jobs');
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const status = params.get('status') ?? '';
  const statusId = useId();

  const jobs = useQuery({
    queryKey: ['jobs', { page, status }],
    queryFn: ({ signal }) => unwrap(client.GET('/api/jobs', { params: { query: { page, limit: PAGE_SIZE, status: (status || undefined) as JobStatus | undefined } }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.jobs.some((j) => j.is_active) ? 3000 : false),
  });

  return (
    <div className="page">
      <PageHeader
        title="Training jobs"
        subtitle="Every job you started, newest first."
        actions={<Link className="button button--primary" to="/training/configure">New training job</Link>}
      />
      <Card
        title="Jobs"
        actions={
          <div className="inline-field">
            <label htmlFor={statusId}>Status</label>
            <select id={statusId} className="select select--small" value={status} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}>
              <option value="">All</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>{s[0].toUpperCase() + s.slice(1)}</option>
              ))}
            </select>
          </div>
        }
      >
        {jobs.isPending ? (
          <Skeleton rows={4} />
        ) : jobs.error ? (
          <ProblemAlert error={jobs.error} title="Could not load jobs" />
        ) : jobs.data.jobs.length === 0 ? (
          status ? (
            <EmptyState icon="∅" title={`No ${status} jobs`}>Choose another status to see the rest.</EmptyState>
          ) : (
            <EmptyState icon="▶" title="No training jobs yet" action={<Link className="button button--primary" to="/datasets">Choose a dataset</Link>}>
              Start one from a ready dataset: pick a preset, check the estimate, and go.
            </EmptyState>
          )
        ) : (
          <>
            <ul className="rows" aria-label="Training jobs">
              {jobs.data.jobs.map((j) => (
                <li key={j.id} className="row" data-testid="job-row">
                  <div className="row__main">
                    <Link className="row__title" to={`/training/jobs/${j.id}`}>{j.dataset.name}</Link>
                    <span className="row__sub">
                      {j.preset_id} preset · {j.gpu_config.num_gpus}× {j.gpu_config.gpu_type} · {formatDateTime(j.created_at)}
                    </span>
                  </div>
                  <div className="row__facts">
                    {j.is_active ? (
                      <div className="row__progress">
                        <ProgressBar value={j.progress} label={`Progress of the job on ${j.dataset.name}`} />
                      </div>
                    ) : (
                      <span>{j.current_step}/{j.total_steps} steps</span>
                    )}
                    <span>
                      <strong>{formatMoney(j.final_cost ?? j.current_cost)}</strong>
                      <span className="muted"> of est. {formatMoney(j.estimated_compute_cost)}</span>
                    </span>
                  </div>
                  <StatusBadge status={j.status} />
                </li>
              ))}
            </ul>
            <Pagination
              pagination={jobs.data.pagination}
              label="Job pages"
              onPage={(p) => setParams((prev) => {
                const next = new URLSearchParams(prev);
                next.set('page', String(p));
                return next;
              })}
            />
          </>
        )}
      </Card>
    </div>
  );
}
