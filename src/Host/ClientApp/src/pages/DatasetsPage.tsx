import { useId, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap, ApiError } from '../lib/api';
import { formatBytes, formatDateTime, formatInt } from '../lib/format';
import { useDocumentTitle } from '../lib/hooks';
import { uploadDataset, type UploadHandle } from '../lib/upload';
import type { DatasetStatus } from '../lib/types';
import { Card, EmptyState, PageHeader, Pagination, ProblemAlert, ProgressBar, Skeleton, StatusBadge } from '../components/ui';

const PAGE_SIZE = 10;
const FORMATS = [
  { id: 'brightrun_lora_v4', label: 'BrightRun LoRA v4 (chat messages)' },
  { id: 'brightrun_lora_v3', label: 'BrightRun LoRA v3 (prompt / completion)' },
];

export function DatasetsPage() {
  useDocumentTitle('Datasets');
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const status = params.get('status') ?? '';
  const statusId = useId();

  const datasets = useQuery({
    queryKey: ['datasets', { page, status }],
    queryFn: ({ signal }) =>
      unwrap(client.GET('/api/datasets', { params: { query: { page, limit: PAGE_SIZE, status: (status || undefined) as DatasetStatus | undefined } }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.datasets.some((d) => d.status === 'uploading' || d.status === 'validating') ? 1500 : false),
  });

  const setPage = (p: number) => setParams((prev) => {
    const next = new URLSearchParams(prev);
    next.set('page', String(p));
    return next;
  });

  return (
    <div className="page">
      <PageHeader title="Datasets" subtitle="Upload a JSONL chat dataset; it is validated and counted in tokens before you train on it." />
      <div className="layout-aside">
        <div className="stack">
          <Card
            title="Your datasets"
            actions={
              <div className="inline-field">
                <label htmlFor={statusId}>Status</label>
                <select
                  id={statusId}
                  className="select select--small"
                  value={status}
                  onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}
                >
                  <option value="">All</option>
                  <option value="uploading">Uploading</option>
                  <option value="validating">Validating</option>
                  <option value="ready">Ready</option>
                  <option value="error">Error</option>
                </select>
              </div>
            }
          >
            {datasets.isPending ? (
              <Skeleton rows={4} />
            ) : datasets.error ? (
              <ProblemAlert error={datasets.error} title="Could not load datasets" />
            ) : datasets.data.datasets.length === 0 ? (
              status ? (
                <EmptyState icon="∅" title={`No ${status} datasets`}>Choose another status to see the rest.</EmptyState>
              ) : (
                <EmptyState icon="⇪" title="No datasets yet">
                  Upload your first JSONL file with the form: one conversation per line, as a list of messages.
                </EmptyState>
              )
            ) : (
              <>
                <ul className="rows" aria-label="Datasets">
                  {datasets.data.datasets.map((d) => (
                    <li key={d.id} className="row" data-testid="dataset-row">
                      <div className="row__main">
                        <Link className="row__title" to={`/datasets/${d.id}`}>{d.name}</Link>
                        <span className="row__sub">{d.file_name} · {formatBytes(d.file_size)} · {formatDateTime(d.created_at)}</span>
                      </div>
                      <div className="row__facts">
                        {d.status === 'ready' || d.status === 'error' ? (
                          <>
                            <span><strong>{formatInt(d.total_training_pairs)}</strong> training {d.total_training_pairs === 1 ? 'example' : 'examples'}</span>
                            <span><strong>{formatInt(d.total_tokens)}</strong> {d.total_tokens === 1 ? 'token' : 'tokens'}</span>
                            {d.error_count > 0 && <span className="text-danger"><strong>{formatInt(d.error_count)}</strong> {d.error_count === 1 ? 'error' : 'errors'}</span>}
                            {d.warning_count > 0 && <span className="text-warning"><strong>{formatInt(d.warning_count)}</strong> {d.warning_count === 1 ? 'warning' : 'warnings'}</span>}
                          </>
                        ) : (
                          <span className="muted">Checking every line…</span>
                        )}
                      </div>
                      <StatusBadge status={d.status} />
                    </li>
                  ))}
                </ul>
                <Pagination pagination={datasets.data.pagination} onPage={setPage} label="Dataset pages" />
              </>
            )}
          </Card>
        </div>
        <UploadCard />
      </div>
    </div>
  );
}

function UploadCard() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [nameTouched, setNameTouched] = useState(false);
  const [description, setDescription] = useState('');
  const [format, setFormat] = useState(FORMATS[0].id);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const handle = useRef<UploadHandle | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const ids = { file: useId(), name: useId(), description: useId(), format: useId() };
  const uploading = progress !== null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || !name.trim()) {
      setError(new ApiError({
        status: 0,
        error: 'The upload needs a file and a name',
        details: { ...(file ? {} : { file: ['choose a .jsonl file'] }), ...(name.trim() ? {} : { name: ['give the dataset a name'] }) },
      }));
      return;
    }
    setError(null);
    setProgress(0);
    handle.current = uploadDataset({ file, name: name.trim(), description: description.trim() || undefined, format }, (loaded, total) =>
      setProgress(total > 0 ? (loaded / total) * 100 : null),
    );
    try {
      const dataset = await handle.current.promise;
      setProgress(100);
      await queryClient.invalidateQueries({ queryKey: ['datasets'] });
      navigate(`/datasets/${dataset.id}`);
    } catch (err) {
      setError(err);
      setProgress(null);
    } finally {
      handle.current = null;
    }
  };

  return (
    <Card title="Upload a dataset" description="JSON Lines, UTF-8, one example per line." className="upload-card">
      <form className="stack" onSubmit={submit} noValidate aria-busy={uploading}>
        <div className="field">
          <label className="field__label" htmlFor={ids.file}>File</label>
          <input
            ref={fileRef}
            id={ids.file}
            className="input input--file"
            type="file"
            accept=".jsonl,.json,.ndjson,.jsonlines,application/json,application/x-ndjson"
            disabled={uploading}
            onChange={(e) => {
              const chosen = e.target.files?.[0] ?? null;
              setFile(chosen);
              if (chosen && !nameTouched) setName(chosen.name.replace(/\.(jsonl|json|ndjson|jsonlines)$/i, ''));
            }}
          />
          {file && <p className="field__hint">{file.name} · {formatBytes(file.size)}</p>}
        </div>
        <div className="field">
          <label className="field__label" htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            className="input"
            value={name}
            maxLength={200}
            disabled={uploading}
            onChange={(e) => {
              setName(e.target.value);
              setNameTouched(true);
            }}
          />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={ids.description}>Description <span className="muted">(optional)</span></label>
          <textarea id={ids.description} className="input" rows={2} maxLength={2000} value={description} disabled={uploading} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={ids.format}>Format</label>
          <select id={ids.format} className="select" value={format} disabled={uploading} onChange={(e) => setFormat(e.target.value)}>
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>{f.label}</option>
            ))}
          </select>
        </div>
        {uploading && (
          <div className="upload-progress" aria-live="polite">
            <span className="field__label">Uploading {file?.name}</span>
            <ProgressBar value={progress} label="Upload progress" />
          </div>
        )}
        <ProblemAlert error={error} title="Upload failed" />
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={uploading}>
            {uploading ? 'Uploading…' : 'Upload and validate'}
          </button>
          {uploading && (
            <button type="button" className="button button--secondary" onClick={() => handle.current?.abort()}>
              Cancel upload
            </button>
          )}
        </div>
      </form>
    </Card>
  );
}
