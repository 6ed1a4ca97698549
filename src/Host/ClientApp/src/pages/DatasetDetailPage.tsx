import { useEffect, useId, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap } from '../lib/api';
import { formatBytes, formatDateTime, formatInt, formatNumber, plural, titleCase } from '../lib/format';
import { downloadWithKey } from '../lib/download';
import { useDocumentTitle } from '../lib/hooks';
import type { Dataset, ValidationIssue } from '../lib/types';
import {
  Card, ConfirmDialog, DefinitionList, EmptyState, LoadError, Notice, PageHeader, Pagination, ProblemAlert, ProgressBar, Skeleton, Stat, StatusBadge,
} from '../components/ui';
import { DistributionChart } from '../components/DistributionChart';
import { ExamplePreview } from '../components/ExamplePreview';

const ERRORS_PAGE = 10;

export function DatasetDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [confirmDelete, setConfirmDelete] = useState(false);

  const dataset = useQuery({
    queryKey: ['dataset', id],
    queryFn: ({ signal }) => unwrap(client.GET('/api/datasets/{id}', { params: { path: { id } }, signal })),
    refetchInterval: (q) => (q.state.data && (q.state.data.status === 'uploading' || q.state.data.status === 'validating') ? 1000 : false),
  });
  useDocumentTitle(dataset.data?.name ?? 'Dataset');

  const remove = useMutation({
    mutationFn: () => unwrap(client.DELETE('/api/datasets/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      setConfirmDelete(false);
      queryClient.removeQueries({ queryKey: ['dataset', id] });
      await queryClient.invalidateQueries({ queryKey: ['datasets'] });
      navigate('/datasets', { replace: true });
    },
  });

  if (dataset.isPending) {
    return (
      <div className="page">
        <PageHeader title="Dataset" back={{ to: '/datasets', label: 'Datasets' }} />
        <Skeleton rows={6} />
      </div>
    );
  }
  if (dataset.error) {
    return (
      <div className="page">
        <PageHeader title="Dataset" back={{ to: '/datasets', label: 'Datasets' }} />
        <LoadError error={dataset.error} what="Dataset" back={{ to: '/datasets', label: 'Back to datasets' }} />
      </div>
    );
  }

  const d = dataset.data;
  const busy = d.status === 'uploading' || d.status === 'validating';
  const report = d.validation_report;

  return (
    <div className="page">
      <PageHeader
        back={{ to: '/datasets', label: 'Datasets' }}
        title={
          <span className="title-with-badge">
            {d.name} <StatusBadge status={d.status} />
          </span>
        }
        subtitle={d.description ?? `${d.file_name} · ${formatBytes(d.file_size)} · uploaded ${formatDateTime(d.created_at)}`}
        actions={
          <>
            {d.training_ready ? (
              <Link className="button button--primary" to={`/training/configure?datasetId=${d.id}`}>Start training</Link>
            ) : (
              <button type="button" className="button button--primary" disabled title="Only a ready dataset without errors can be trained on">
                Start training
              </button>
            )}
            <button type="button" className="button button--danger-outline" onClick={() => setConfirmDelete(true)}>Delete</button>
          </>
        }
      />

      {busy && (
        <Card title="Validating" description="Every line is parsed, checked and counted in tokens.">
          <ProgressBar value={d.validation_progress ? d.validation_progress.percent : null} label="Validation progress" />
          <p className="muted small">
            {d.validation_progress
              ? `${formatBytes(d.validation_progress.bytes_processed)} of ${formatBytes(d.validation_progress.total_bytes)} checked`
              : d.status === 'uploading' ? 'Storing the file…' : 'Starting…'}
          </p>
        </Card>
      )}

      {d.status === 'error' && (
        <Notice tone="warning" title="This dataset cannot be used for training yet" role="status">
          {d.error_count > 0
            ? `${plural(d.error_count, 'line')} ${d.error_count === 1 ? 'needs' : 'need'} fixing. Each error below names its line and how to fix it; upload the corrected file, or validate again with other settings.`
            : 'The validation did not finish; validate it again.'}
        </Notice>
      )}
      {d.status === 'ready' && d.training_ready && (
        <Notice tone="success" title="Ready for training" role="status">
          {plural(d.total_training_pairs, 'training example')} and {plural(d.total_tokens, 'token')}. Pick a preset next.
        </Notice>
      )}

      {!busy && (
        <>
          <section aria-labelledby="stats-heading" className="stack">
            <h2 id="stats-heading" className="section-title">Statistics</h2>
            <div className="stats-grid" data-testid="dataset-stats">
              <Stat label="Training pairs" value={formatInt(d.total_training_pairs)} testId="stat-training-pairs" />
              <Stat label="Validation pairs" value={formatInt(d.total_validation_pairs)} />
              <Stat label="Total tokens" value={formatInt(d.total_tokens)} testId="stat-total-tokens" />
              <Stat label="Avg turns / conversation" value={formatNumber(d.avg_turns_per_conversation)} />
              <Stat label="Avg tokens / turn" value={formatNumber(d.avg_tokens_per_turn)} />
              <Stat label="Errors" value={formatInt(d.error_count)} tone={d.error_count > 0 ? 'danger' : undefined} />
              <Stat label="Warnings" value={formatInt(d.warning_count)} tone={d.warning_count > 0 ? 'warning' : undefined} />
              <Stat label="Over max length" value={formatInt(report?.examples_over_max_length)} hint={`max ${formatInt(d.max_sequence_length)} tokens`} />
            </div>
          </section>

          {report && (
            <Card title="Distributions" description={`How many examples have how many messages and tokens (counted with ${d.tokenizer || 'the tokenizer'}).`} testId="distributions-card">
              {report.example_count === 0 ? (
                <EmptyState icon="∅" title="No valid examples to measure">
                  Every line of this file has an error, so there is nothing to chart yet. Fix the lines listed below and upload the file again.
                </EmptyState>
              ) : (
                <div className="chart-grid">
                  <DistributionChart title="Messages per example" unit="messages" distribution={report.messages_per_example} histogram={report.messages_histogram} color="#6366f1" testId="chart-messages" />
                  <DistributionChart title="Tokens per example" unit="tokens" distribution={report.tokens_per_example} histogram={report.tokens_histogram} color="#0891b2" testId="chart-tokens" />
                  <DistributionChart title="Assistant tokens per example" unit="tokens" distribution={report.assistant_tokens_per_example} histogram={report.assistant_tokens_histogram} color="#059669" testId="chart-assistant-tokens" />
                </div>
              )}
            </Card>
          )}

          {d.sample_data.length > 0 && <ExamplePreview examples={d.sample_data} />}

          {d.error_count > 0 && <ErrorsCard dataset={d} />}
          {d.warning_count > 0 && <IssuesCard title="Warnings" description="These do not block training, but are worth a look." issues={d.warnings} counts={d.warning_counts} total={d.warning_count} tone="warning" />}

          <div className="two-columns">
            <Card title="File">
              <DefinitionList
                columns={1}
                items={[
                  ['File name', d.file_name],
                  ['Size', formatBytes(d.file_size)],
                  ['Format', d.format],
                  ['SHA-256', <code className="hash" key="sha">{d.file_sha256}</code>],
                  ['Validated', formatDateTime(d.validated_at)],
                  ['Tokenizer', d.tokenizer || '—'],
                ]}
              />
            </Card>
            <RevalidateCard dataset={d} />
          </div>
        </>
      )}

      <ConfirmDialog
        open={confirmDelete}
        title="Delete this dataset?"
        confirmLabel="Delete dataset"
        cancelLabel="Keep it"
        danger
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => remove.mutate()}
        onClose={() => {
          setConfirmDelete(false);
          remove.reset();
        }}
      >
        <p>“{d.name}” and its file will be removed. Jobs and models trained on it stay.</p>
      </ConfirmDialog>
    </div>
  );
}

function IssueList({ issues }: { issues: ValidationIssue[] }) {
  return (
    <ol className="issues">
      {issues.map((issue, i) => (
        <li key={`${issue.line}-${issue.code}-${i}`} className="issue" data-testid="validation-issue">
          <div className="issue__head">
            <span className="issue__line">{issue.line > 0 ? `Line ${formatInt(issue.line)}` : 'Whole file'}</span>
            <code className="issue__code">{issue.code}</code>
          </div>
          <p className="issue__message">{issue.error}</p>
          {issue.suggestion && (
            <p className="issue__suggestion">
              <strong>How to fix: </strong>
              {issue.suggestion}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}

function CountChips({ counts }: { counts: Record<string, number> }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return null;
  return (
    <ul className="chips" aria-label="Counts by type">
      {entries.map(([code, count]) => (
        <li key={code} className="chip chip--static">
          {titleCase(code)} <strong>{formatInt(count)}</strong>
        </li>
      ))}
    </ul>
  );
}

function IssuesCard({ title, description, issues, counts, total, tone }: { title: string; description: string; issues: ValidationIssue[]; counts: Record<string, number>; total: number; tone: 'warning' | 'danger' }) {
  return (
    <Card title={`${title} (${formatInt(total)})`} description={description} className={`card--${tone}`}>
      <CountChips counts={counts} />
      <IssueList issues={issues} />
      {issues.length < total && <p className="muted small">Showing the first {formatInt(issues.length)} of {formatInt(total)}.</p>}
    </Card>
  );
}

function ErrorsCard({ dataset }: { dataset: Dataset }) {
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), [dataset.validation_run]);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const downloadAll = async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      await downloadWithKey(`/api/datasets/${dataset.id}/errors/download`, `${dataset.file_name.replace(/\.[^.]+$/, '')}-errors.jsonl`);
    } catch (err) {
      setDownloadError(err);
    } finally {
      setDownloading(false);
    }
  };
  const errors = useQuery({
    queryKey: ['dataset-errors', dataset.id, dataset.validation_run, page],
    queryFn: ({ signal }) => unwrap(client.GET('/api/datasets/{id}/errors', { params: { path: { id: dataset.id }, query: { page, limit: ERRORS_PAGE } }, signal })),
    placeholderData: keepPreviousData,
  });
  return (
    <Card
      title={`Errors (${formatInt(dataset.error_count)})`}
      description="Lines that must be fixed before training, with what to change."
      className="card--danger"
      testId="errors-card"
      actions={
        <button type="button" className="button button--secondary button--small" onClick={downloadAll} disabled={downloading}>
          {downloading ? 'Preparing…' : `Download ${dataset.errors_list_truncated ? 'the listed' : 'all'} errors (.jsonl)`}
        </button>
      }
    >
      <ProblemAlert error={downloadError} title="Could not download the errors" />
      <CountChips counts={dataset.error_counts} />
      {dataset.errors_list_truncated && dataset.errors_listed != null && (
        <p className="muted" data-testid="errors-truncated">
          The list keeps the first {plural(dataset.errors_listed, 'error')} of {formatInt(dataset.error_count)}; every error is counted by type above.
        </p>
      )}
      {errors.isPending ? (
        <Skeleton rows={3} />
      ) : errors.error ? (
        <ProblemAlert error={errors.error} title="Could not load the errors" />
      ) : errors.data.errors.length === 0 ? (
        <EmptyState title="No errors listed">The error list is empty for this validation run.</EmptyState>
      ) : (
        <>
          <IssueList issues={errors.data.errors} />
          <Pagination pagination={errors.data.pagination} onPage={setPage} label="Error pages" />
        </>
      )}
    </Card>
  );
}

function RevalidateCard({ dataset }: { dataset: Dataset }) {
  const queryClient = useQueryClient();
  const [format, setFormat] = useState(dataset.format);
  const [maxLength, setMaxLength] = useState(String(dataset.max_sequence_length || 4096));
  const ids = { format: useId(), max: useId() };
  const revalidate = useMutation({
    mutationFn: () => unwrap(client.POST('/api/datasets/{id}/validate', { params: { path: { id: dataset.id } }, body: { format, max_sequence_length: Number(maxLength) } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(['dataset', dataset.id], updated);
      queryClient.invalidateQueries({ queryKey: ['datasets'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    revalidate.mutate();
  };
  return (
    <Card title="Validate again" description="With the other format or another maximum sequence length.">
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label className="field__label" htmlFor={ids.format}>Format</label>
          <select id={ids.format} className="select" value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="brightrun_lora_v4">BrightRun LoRA v4 (chat messages)</option>
            <option value="brightrun_lora_v3">BrightRun LoRA v3 (prompt / completion)</option>
          </select>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={ids.max}>Maximum sequence length (tokens)</label>
          <input id={ids.max} className="input" type="number" inputMode="numeric" min={128} max={131072} step={1} value={maxLength} onChange={(e) => setMaxLength(e.target.value)} />
          <p className="field__hint">128 to 131,072. Longer examples get a warning and are truncated in training.</p>
        </div>
        <ProblemAlert error={revalidate.error} />
        <div className="button-row">
          <button type="submit" className="button button--secondary" disabled={revalidate.isPending}>
            {revalidate.isPending ? 'Starting…' : 'Validate again'}
          </button>
        </div>
      </form>
    </Card>
  );
}
