import { useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { client, unwrap, ApiError, isApiError } from '../lib/api';
import { formatBytes, formatDate, formatDateTime, formatMoney, formatNumber, titleCase } from '../lib/format';
import { useDocumentTitle } from '../lib/hooks';
import type { Budget, CostReport } from '../lib/types';
import { Card, EmptyState, Notice, PageHeader, Pagination, ProblemAlert, Skeleton, Stat } from '../components/ui';
import { BudgetGauge } from '../components/BudgetGauge';

type Period = 'week' | 'month' | 'year' | 'custom';
const PERIODS: { id: Period; label: string }[] = [
  { id: 'week', label: 'Week' },
  { id: 'month', label: 'Month' },
  { id: 'year', label: 'Year' },
  { id: 'custom', label: 'Custom' },
];

const typeColors: Record<string, string> = { training_compute: '#4f46e5', storage: '#0891b2' };
const budgetStatus: Record<string, { label: string; tone: 'info' | 'warning' | 'success' }> = {
  none: { label: 'No monthly limit set', tone: 'info' },
  ok: { label: 'Within budget', tone: 'success' },
  warning: { label: 'Close to the limit', tone: 'warning' },
  exceeded: { label: 'Over the limit', tone: 'warning' },
};

function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

type DayPoint = { date: string; amount: number } & Partial<Record<string, number | string>>;

/**
 * Every day of the period, zero where nothing was recorded, so the chart shows time honestly; each day
 * also carries its amount per cost type (for the stacked bars), a day recorded before the split by type
 * counting as compute.
 */
function dailySeries(report: CostReport): DayPoint[] {
  const point = (date: string, amount: number, byType?: Record<string, number>): DayPoint => ({
    date,
    amount,
    ...Object.fromEntries(Object.keys(typeColors).map((t) => [t, 0])),
    ...(byType ?? (amount ? { training_compute: amount } : {})),
  });
  const byDay = new Map(report.chart_data.map((p) => [p.date.slice(0, 10), p]));
  const start = new Date(`${report.period.start_date.slice(0, 10)}T00:00:00`);
  const end = new Date(`${report.period.end_date.slice(0, 10)}T00:00:00`);
  const days = Math.round((end.getTime() - start.getTime()) / 86_400_000);
  if (!(days >= 0 && days <= 400)) return report.chart_data.map((p) => point(p.date, p.amount, p.by_type));
  const series = [];
  for (let i = 0; i <= days; i++) {
    const d = new Date(start);
    d.setDate(start.getDate() + i);
    const key = isoDay(d);
    const day = byDay.get(key);
    series.push(point(key, day?.amount ?? 0, day?.by_type));
  }
  return series;
}

export function CostsPage() {
  useDocumentTitle('Costs');
  const [params, setParams] = useSearchParams();
  const period = (PERIODS.some((p) => p.id === params.get('period')) ? params.get('period') : 'month') as Period;
  const start = params.get('start') ?? '';
  const end = params.get('end') ?? '';
  const today = isoDay(new Date());
  const [draftStart, setDraftStart] = useState(start || isoDay(new Date(Date.now() - 13 * 86_400_000)));
  const [draftEnd, setDraftEnd] = useState(end || today);
  const [rangeError, setRangeError] = useState<unknown>(null);
  const ids = { start: useId(), end: useId() };

  const recordsPage = Math.max(1, Number(params.get('page')) || 1);
  const range = period === 'custom' ? (start && end ? { start_date: start, end_date: end } : null) : { period };
  const query = range ? { ...range, page: recordsPage, limit: 20 } : null;
  const costs = useQuery({
    queryKey: ['costs', query],
    queryFn: ({ signal }) => unwrap(client.GET('/api/costs', { params: { query: query ?? undefined }, signal })) as Promise<CostReport>,
    enabled: query !== null,
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });

  const applyRange = (e: FormEvent) => {
    e.preventDefault();
    if (!draftStart || !draftEnd || draftStart > draftEnd) {
      setRangeError(new ApiError({ status: 0, error: 'Check the dates', details: 'Choose a start date on or before the end date.' }));
      return;
    }
    setRangeError(null);
    setParams({ period: 'custom', start: draftStart, end: draftEnd });
  };

  const series = useMemo(() => (costs.data ? dailySeries(costs.data) : []), [costs.data]);

  return (
    <div className="page">
      <PageHeader title="Costs" subtitle="What training and storage cost, day by day, against your monthly budget." />
      <div className="layout-aside layout-aside--wide">
        <div className="stack">
          <Card title="Period">
            <div className="period-picker">
              <div className="segmented" role="group" aria-label="Period">
                {PERIODS.map((p) => (
                  <button
                    key={p.id}
                    type="button"
                    className={`segmented__item ${period === p.id ? 'segmented__item--active' : ''}`}
                    aria-pressed={period === p.id}
                    onClick={() => setParams(p.id === 'custom' ? { period: 'custom', ...(start && end ? { start, end } : {}) } : { period: p.id })}
                  >
                    {p.label}
                  </button>
                ))}
              </div>
              {period === 'custom' && (
                <form className="inline-form" onSubmit={applyRange}>
                  <div className="field">
                    <label className="field__label" htmlFor={ids.start}>From</label>
                    <input id={ids.start} className="input" type="date" value={draftStart} max={draftEnd || today} onChange={(e) => setDraftStart(e.target.value)} />
                  </div>
                  <div className="field">
                    <label className="field__label" htmlFor={ids.end}>To</label>
                    <input id={ids.end} className="input" type="date" value={draftEnd} min={draftStart} onChange={(e) => setDraftEnd(e.target.value)} />
                  </div>
                  <button type="submit" className="button button--secondary">Show</button>
                </form>
              )}
            </div>
            <ProblemAlert error={rangeError} />
          </Card>

          {query === null ? (
            <Card><EmptyState icon="📅" title="Choose the dates">Pick a start and an end date, then Show.</EmptyState></Card>
          ) : costs.isPending ? (
            <Card><Skeleton rows={5} /></Card>
          ) : costs.error ? (
            isApiError(costs.error, 404) ? (
              <ProblemAlert error={costs.error} title="Cost reports are not available on this server yet" />
            ) : (
              <ProblemAlert error={costs.error} title="Could not load costs" />
            )
          ) : (
            <CostReportView
              report={costs.data}
              series={series}
              onRecordsPage={(p) => setParams((prev) => {
                const next = new URLSearchParams(prev);
                next.set('page', String(p));
                return next;
              })}
            />
          )}
        </div>
        <BudgetCard />
      </div>
    </div>
  );
}

function CostReportView({ report, series, onRecordsPage }: { report: CostReport; series: DayPoint[]; onRecordsPage: (page: number) => void }) {
  const order = ['training_compute', 'storage'];
  const types = Object.entries(report.cost_by_type).sort(
    ([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  const total = report.total_cost;
  return (
    <>
      <div className="stats-grid stats-grid--3">
        <Stat label="Total" value={<span data-testid="cost-total">{formatMoney(total)}</span>} hint={`${formatDate(report.period.start_date)} – ${formatDate(report.period.end_date)}`} tone="primary" />
        {types.map(([type, amount]) => (
          <Stat key={type} label={titleCase(type)} value={<span data-testid={`cost-${type}`}>{formatMoney(amount)}</span>} hint={total > 0 ? `${formatNumber((amount / total) * 100, 0)}% of the total` : undefined} />
        ))}
      </div>
      <Card title="Daily cost">
        {series.every((p) => p.amount === 0) ? (
          <EmptyState icon="∅" title="Nothing was spent in this period">Costs are recorded when a job ends and while models are stored.</EmptyState>
        ) : (
          <figure
            className="chart-figure"
            data-testid="cost-chart"
            data-points={series.filter((p) => p.amount > 0).length}
            data-types={Object.keys(typeColors).filter((t) => series.some((p) => Number(p[t] ?? 0) > 0)).join(' ')}
          >
            <figcaption className="visually-hidden">Cost per day from {report.period.start_date} to {report.period.end_date}</figcaption>
            <div className="chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e5e7eb" />
                  <XAxis dataKey="date" tick={{ fontSize: 12, fill: '#4b5563' }} tickLine={false} tickFormatter={(d: string) => formatDate(d).replace(/, \d{4}$/, '')} minTickGap={16} />
                  <YAxis tick={{ fontSize: 12, fill: '#4b5563' }} tickLine={false} axisLine={false} width={56} tickFormatter={(v: number) => formatMoney(v)} />
                  <Tooltip formatter={(v, name) => [formatMoney(Number(v)), titleCase(String(name))]} labelFormatter={(d) => formatDate(String(d))} cursor={{ fill: '#eef2ff' }} />
                  <Legend formatter={(name) => titleCase(String(name))} wrapperStyle={{ fontSize: 12 }} />
                  {/* one bar per day, stacked by type: compute below, storage on top */}
                  {Object.entries(typeColors).map(([type, color], i, all) => (
                    <Bar key={type} dataKey={type} stackId="day" fill={color} radius={i === all.length - 1 ? [4, 4, 0, 0] : undefined} isAnimationActive={false} />
                  ))}
                </BarChart>
              </ResponsiveContainer>
            </div>
          </figure>
        )}
        {types.length > 0 && total > 0 && (
          <div className="stack" style={{ gap: 8 }}>
            <div className="share-bar" aria-hidden="true">
              {types.map(([type, amount]) => (
                <span key={type} style={{ width: `${(amount / total) * 100}%`, background: typeColors[type] ?? '#9ca3af' }} />
              ))}
            </div>
            <ul className="share-legend" aria-label="Share of the total by type">
              {types.map(([type, amount]) => (
                <li key={type}>
                  <span className="swatch" style={{ background: typeColors[type] ?? '#9ca3af' }} aria-hidden="true" />
                  {titleCase(type)} {formatMoney(amount)} ({formatNumber((amount / total) * 100, 0)}%)
                </li>
              ))}
            </ul>
          </div>
        )}
      </Card>
      <Card title={`Records (${report.records_pagination?.total ?? report.records.length})`}>
        {report.records.length === 0 ? (
          <EmptyState title="No cost records in this period" />
        ) : (
          <div className="table-wrap">
            <table className="table table--stack">
              <caption className="visually-hidden">Cost records</caption>
              <thead>
                <tr>
                  <th scope="col">Recorded</th>
                  <th scope="col">Type</th>
                  <th scope="col">For</th>
                  <th scope="col">Details</th>
                  <th scope="col" className="num">Amount</th>
                </tr>
              </thead>
              <tbody>
                {report.records.map((r) => (
                  <tr key={r.id} data-testid="cost-record">
                    <td>{formatDateTime(r.recorded_at)}</td>
                    <td>{titleCase(r.cost_type)}</td>
                    <td>
                      {r.cost_type === 'storage' && r.artifact_id ? (
                        <Link to={`/models/${r.artifact_id}`} data-testid="cost-record-name">{r.name ? `Model: ${r.name}` : 'Model'}</Link>
                      ) : r.job_id ? (
                        <Link to={`/training/jobs/${r.job_id}`} data-testid="cost-record-name">{r.name ? `Training job: ${r.name}` : 'Training job'}</Link>
                      ) : r.artifact_id ? (
                        <Link to={`/models/${r.artifact_id}`} data-testid="cost-record-name">{r.name ? `Model: ${r.name}` : 'Model'}</Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className="muted">
                      {r.details?.gpu_type
                        ? `${r.details.gpu_count ?? 1}× ${r.details.gpu_type}, ${formatNumber(r.details.duration_hours, 3)} h at ${formatMoney(r.details.hourly_rate)}/h`
                        : r.details?.stored_bytes !== undefined
                          ? `${formatBytes(r.details.stored_bytes)} stored${r.details.one_off ? ', billed once' : ''}`
                          : r.billing_period}
                    </td>
                    <td className="num"><strong>{formatMoney(r.amount)}</strong></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pagination pagination={report.records_pagination} onPage={onRecordsPage} label="Record pages" />
      </Card>
    </>
  );
}

function BudgetCard() {
  const [saved, setSaved] = useState(false);
  const budget = useQuery({
    queryKey: ['budget'],
    queryFn: ({ signal }) => unwrap(client.GET('/api/budget', { signal })),
    refetchInterval: 15_000,
  });

  return (
    <Card title="Monthly budget" className="budget-card" testId="budget-card">
      {budget.isPending ? (
        <Skeleton rows={4} />
      ) : budget.error ? (
        <ProblemAlert error={budget.error} title={isApiError(budget.error, 404) ? 'Budgets are not available on this server yet' : 'Could not load the budget'} />
      ) : (
        <>
          <BudgetGauge budget={budget.data} />
          <p className={`budget-status budget-status--${budget.data.status}`} data-testid="budget-status">{budgetStatus[budget.data.status]?.label ?? budget.data.status}</p>
          <dl className="budget-lines">
            <div><dt>Spent in {budget.data.month}</dt><dd>{formatMoney(budget.data.spent)}</dd></div>
            <div><dt>Accruing (running jobs)</dt><dd>{formatMoney(budget.data.accruing)}</dd></div>
            <div className="budget-lines__total"><dt>Used</dt><dd data-testid="budget-used">{formatMoney(budget.data.used)}</dd></div>
            <div><dt>Limit</dt><dd>{budget.data.monthly_limit === null ? 'none' : formatMoney(budget.data.monthly_limit)}</dd></div>
          </dl>
          {budget.data.status === 'exceeded' && budget.data.hard_limit && (
            <Notice tone="warning" title="New jobs are refused">The hard limit is reached; raise it or wait for next month.</Notice>
          )}
          {/* the form starts from the server's values; it is not reset under the user's typing by later polls */}
          <BudgetForm key={`${budget.data.monthly_limit}:${budget.data.hard_limit}`} budget={budget.data} onSaved={setSaved} />
          {saved && <p className="text-success small" role="status">Budget saved.</p>}
        </>
      )}
    </Card>
  );
}

function BudgetForm({ budget, onSaved: setSaved }: { budget: Budget; onSaved: (saved: boolean) => void }) {
  const queryClient = useQueryClient();
  const [limit, setLimit] = useState(budget.monthly_limit === null ? '' : budget.monthly_limit.toFixed(2));
  const [hard, setHard] = useState(budget.hard_limit);
  const ids = { limit: useId(), hard: useId(), hint: useId() };

  const save = useMutation({
    mutationFn: () => {
      const trimmed = limit.trim();
      const value = trimmed === '' ? null : Number(trimmed);
      if (value !== null && !(Number.isFinite(value) && value > 0)) {
        return Promise.reject(new ApiError({ status: 0, error: 'Check the limit', details: { monthly_limit: ['a positive amount in dollars, or empty for no limit'] } }));
      }
      return unwrap(client.PUT('/api/budget', { body: { monthly_limit: value === null ? null : Math.round(value * 100) / 100, hard_limit: value !== null && hard } }));
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(['budget'], updated);
      setSaved(true);
    },
  });

  return (
    <form
      className="stack budget-form"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        save.mutate();
      }}
    >
      <div className="field">
        <label className="field__label" htmlFor={ids.limit}>Monthly limit (USD)</label>
        <div className="input-prefix">
          <span aria-hidden="true">$</span>
          <input id={ids.limit} className="input" type="number" inputMode="decimal" min={0.01} step="0.01" placeholder="No limit" value={limit} onChange={(e) => { setLimit(e.target.value); setSaved(false); }} aria-describedby={ids.hint} />
        </div>
        <p className="field__hint" id={ids.hint}>Leave empty for no limit. You are warned at 80%.</p>
      </div>
      <label className="checkbox" htmlFor={ids.hard}>
        <input id={ids.hard} type="checkbox" checked={hard} onChange={(e) => { setHard(e.target.checked); setSaved(false); }} />
        <span>Hard limit: refuse new jobs that would go over it</span>
      </label>
      <ProblemAlert error={save.error} title="Budget not saved" />
      <div className="button-row">
        <button type="submit" className="button button--primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : 'Save budget'}</button>
      </div>
    </form>
  );
}
