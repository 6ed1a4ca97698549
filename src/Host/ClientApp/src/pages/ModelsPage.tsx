import { useId } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../lib/api';
import { formatBytes, formatDate, formatMoney, titleCase } from '../lib/format';
import { useDocumentTitle } from '../lib/hooks';
import { EmptyState, PageHeader, Pagination, ProblemAlert, Skeleton, Stars, StatusBadge } from '../components/ui';

const PAGE_SIZE = 12;

export function ModelsPage() {
  useDocumentTitle('Models');
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const sort = params.get('sort') === 'quality' ? 'quality' : 'created_at';
  const sortId = useId();

  const models = useQuery({
    queryKey: ['models', { page, sort }],
    queryFn: ({ signal }) => unwrap(client.GET('/api/models', { params: { query: { page, limit: PAGE_SIZE, sort } }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.models.some((m) => m.status === 'collecting') ? 3000 : false),
  });

  return (
    <div className="page">
      <PageHeader
        title="Models"
        subtitle="Trained LoRA adapters: their quality, what they cost, and their files."
        actions={
          <div className="inline-field">
            <label htmlFor={sortId}>Sort by</label>
            <select id={sortId} className="select select--small" value={sort} onChange={(e) => setParams({ sort: e.target.value })}>
              <option value="created_at">Most recent</option>
              <option value="quality">Highest quality</option>
            </select>
          </div>
        }
      />
      {models.isPending ? (
        <div className="card-grid">
          {Array.from({ length: 3 }, (_, i) => (
            <div key={i} className="card"><Skeleton rows={4} /></div>
          ))}
        </div>
      ) : models.error ? (
        <ProblemAlert error={models.error} title="Could not load models" />
      ) : models.data.models.length === 0 ? (
        <div className="card">
          <EmptyState icon="◇" title="No models yet" action={<Link className="button button--primary" to="/training/configure">Start training</Link>}>
            A model appears here when a training job completes and its adapter files are stored.
          </EmptyState>
        </div>
      ) : (
        <>
          <p className="muted small" aria-live="polite">{models.data.pagination.total} model{models.data.pagination.total === 1 ? '' : 's'}</p>
          <ul className="card-grid" aria-label="Models">
            {models.data.models.map((m) => (
              <li key={m.id} className="card model-card" data-testid="model-card">
                <div className="model-card__head">
                  <h2 className="model-card__title">
                    <Link to={`/models/${m.id}`} className="stretched-link">{m.name}</Link>
                  </h2>
                  <Stars score={m.quality_metrics?.overall_score ?? m.quality_score} size="sm" />
                </div>
                <p className="muted small">{m.dataset_name} · v{m.version}</p>
                <dl className="model-card__facts">
                  <div>
                    <dt>Convergence</dt>
                    <dd>{m.quality_metrics?.convergence_quality ? <span className="tag">{titleCase(m.quality_metrics.convergence_quality)}</span> : '—'}</dd>
                  </div>
                  <div>
                    <dt>Created</dt>
                    <dd>{formatDate(m.created_at)}</dd>
                  </div>
                  <div>
                    <dt>Cost</dt>
                    <dd>{formatMoney(m.training_summary?.total_cost)}</dd>
                  </div>
                  <div>
                    <dt>Size</dt>
                    <dd>{formatBytes(m.total_size)}</dd>
                  </div>
                </dl>
                {m.status !== 'stored' && <StatusBadge status={m.status} />}
              </li>
            ))}
          </ul>
          <Pagination
            pagination={models.data.pagination}
            label="Model pages"
            onPage={(p) => setParams((prev) => {
              const next = new URLSearchParams(prev);
              next.set('page', String(p));
              return next;
            })}
          />
        </>
      )}
    </div>
  );
}
