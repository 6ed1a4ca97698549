import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, request, unwrap } from '../lib/api';
import { formatBytes, formatDateTime, formatDuration, formatFixed, formatInt, formatLearningRate, formatMoney, formatNumber, titleCase } from '../lib/format';
import { openLink } from '../lib/download';
import { useDocumentTitle } from '../lib/hooks';
import type { ArchiveLink, DownloadLink, JobDetails, ModelArtifact, ModelFile } from '../lib/types';
import { ModelCost } from '../components/ModelCost';
import { LoadSnippets } from '../components/LoadSnippets';
import { Card, ConfirmDialog, DefinitionList, LoadError, Notice, PageHeader, ProblemAlert, Skeleton, Spinner, Stars, StatusBadge } from '../components/ui';


export function ModelDetailPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [links, setLinks] = useState<DownloadLink[]>([]);
  const [archive, setArchive] = useState<ArchiveLink | null>(null);

  const model = useQuery({
    queryKey: ['model', id],
    queryFn: ({ signal }) => unwrap(client.GET('/api/models/{id}', { params: { path: { id } }, signal })),
    refetchInterval: (q) => (q.state.data?.status === 'collecting' ? 2000 : false),
  });
  useDocumentTitle(model.data?.name ?? 'Model');

  const download = useMutation({
    mutationFn: (body: { files?: string[]; include_flagged?: boolean }) => unwrap(client.POST('/api/models/{id}/download', { params: { path: { id } }, body })),
    onSuccess: (result) => {
      setLinks(result.links);
      result.links.forEach((l) => openLink(l.url, l.file_name));
    },
  });

  // the whole adapter as one .zip behind a signed link: one download instead of one per file
  const downloadArchive = useMutation({
    mutationFn: () => unwrap(client.POST('/api/models/{id}/archive', { params: { path: { id } }, body: {} })),
    onSuccess: (result) => {
      setArchive(result);
      openLink(result.url, result.file_name);
    },
  });

  // the job's cost records: its compute line and, once the model is stored, the storage line
  const job = useQuery({
    queryKey: ['job', model.data?.job_id, 'costs'],
    queryFn: ({ signal }) => unwrap(client.GET('/api/jobs/{id}', { params: { path: { id: model.data!.job_id } }, signal })) as Promise<JobDetails>,
    enabled: !!model.data?.job_id,
    refetchInterval: (q) => (q.state.data?.cost_records.some((r) => r.cost_type === 'storage') ? false : 5000),
  });

  const remove = useMutation({
    mutationFn: () => unwrap(client.DELETE('/api/models/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      setConfirmDelete(false);
      queryClient.removeQueries({ queryKey: ['model', id] });
      await queryClient.invalidateQueries({ queryKey: ['models'] });
      navigate('/models', { replace: true });
    },
  });

  // a collection that gave up (the cluster's storage was down too long) starts again; stored files are kept
  const recollect = useMutation({
    mutationFn: () => request<ModelArtifact>(`/api/models/${id}/collect`, { method: 'POST' }) /* the document's body is the cluster's report, which the retry leaves out */,
    onSuccess: (restarted) => queryClient.setQueryData(['model', id], restarted),
  });

  const back = { to: '/models', label: 'Models' };
  if (model.isPending) {
    return (
      <div className="page">
        <PageHeader title="Model" back={back} />
        <Skeleton rows={6} />
      </div>
    );
  }
  if (model.error) {
    return (
      <div className="page">
        <PageHeader title="Model" back={back} />
        <LoadError error={model.error} what="Model" back={{ to: '/models', label: 'Back to models' }} />
      </div>
    );
  }

  const m = model.data;
  const q = m.quality_metrics;
  const s = m.training_summary;
  const c = m.configuration;
  // a flagged model is stored too: its files download (the flagged ones only when the user says so)
  const ready = m.status === 'stored' || m.status === 'flagged';
  const unflagged = m.artifacts.filter((f) => !f.flagged).map((f) => f.name);

  return (
    <div className="page">
      <PageHeader
        back={back}
        title={
          <span className="title-with-badge">
            {m.name} <span className="tag">v{m.version}</span>
          </span>
        }
        subtitle={m.description || <>Trained on <Link to={`/datasets/${m.dataset_id}`}>{m.dataset_name}</Link> · {formatDateTime(m.created_at)}</>}
        actions={
          <>
            <button type="button" className="button button--primary" disabled={!ready || downloadArchive.isPending || unflagged.length === 0} onClick={() => downloadArchive.mutate()}>
              {downloadArchive.isPending ? 'Preparing…' : 'Download all (.zip)'}
            </button>
            <button type="button" className="button button--secondary" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
              Rename
            </button>
            <button type="button" className="button button--danger-outline" onClick={() => setConfirmDelete(true)}>Delete</button>
          </>
        }
      />

      {m.status === 'collecting' && <Notice tone="info" title="Collecting the adapter files" role="status">The files are being copied from the GPU cluster and checked.</Notice>}
      {m.status === 'failed' && (
        <ProblemAlert
          error={new Error(m.collection_error ?? 'The files could not be collected.')}
          title="The model's files are incomplete"
          action={
            <button type="button" className="button button--secondary" disabled={recollect.isPending} onClick={() => recollect.mutate()}>
              {recollect.isPending ? <Spinner label="Starting" /> : 'Collect again'}
            </button>
          }
        />
      )}
      <ProblemAlert error={recollect.error} title="Could not collect again" />

      {editing && <RenameForm model={m} onDone={() => setEditing(false)} />}

      <div className="two-columns">
        <Card title="Quality" testId="quality-card">
          <div className="quality-score">
            <Stars score={q?.overall_score ?? m.quality_score} />
            <span className="quality-score__text">{q?.overall_score ?? m.quality_score ?? '—'} / 5</span>
            {q?.convergence_quality && <span className="tag">{titleCase(q.convergence_quality)} convergence</span>}
          </div>
          <DefinitionList
            items={[
              ['Final training loss', formatFixed(q?.final_training_loss, 4)],
              ['Final validation loss', formatFixed(q?.final_validation_loss, 4)],
              ['Perplexity', formatNumber(q?.perplexity, 2)],
              ['Loss reduction', q?.loss_reduction !== null && q?.loss_reduction !== undefined ? `${formatNumber(q.loss_reduction * 100, 1)}%` : '—'],
              ['Generalization gap', formatFixed(q?.generalization_gap, 4)],
            ]}
          />
        </Card>
        <Card title="Training summary">
          <DefinitionList
            items={[
              ['Epochs completed', formatInt(s?.epochs_completed)],
              ['Total steps', formatInt(s?.total_steps)],
              ['Final loss', formatFixed(s?.final_loss, 4)],
              ['Duration', formatDuration(s?.training_duration_hours)],
              ['Training job', <Link key="job" to={`/training/jobs/${m.job_id}`}>Open the job</Link>],
            ]}
          />
        </Card>
      </div>

      <ModelCost trainingCost={s?.total_cost ?? null} records={job.data?.cost_records} />

      <Card title="Files" description="Each file's SHA-256 checksum lets you verify what you downloaded." testId="files-card">
        <ProblemAlert error={download.error} title="No download links" />
        <ProblemAlert error={downloadArchive.error} title="No archive link" />
        <ul className="files">
          {m.artifacts.map((f) => (
            <FileRow key={f.name} file={f} disabled={!ready || download.isPending} onDownload={() => download.mutate({ files: [f.name], include_flagged: f.flagged || undefined })} />
          ))}
        </ul>
        <p className="muted small">{m.artifacts.length} files · {formatBytes(m.total_size)} in all</p>
        {(download.isPending || downloadArchive.isPending) && <Spinner label="Signing download links…" />}
        {archive && (
          <p className="small" aria-live="polite">
            <strong>Archive</strong> of {archive.files.length} files ({formatBytes(archive.uncompressed_size)} unpacked), valid until {formatDateTime(archive.expires_at)}. If the download did not start:{' '}
            <a href={archive.url} download={archive.file_name} data-testid="archive-link">{archive.file_name}</a>
          </p>
        )}
        {links.length > 0 && (
          <div className="links" aria-live="polite">
            <p className="small"><strong>Download links</strong> (valid until {formatDateTime(links[0].expires_at)}). Your browser starts the downloads; if it did not, use these:</p>
            <ul>
              {links.map((l) => (
                <li key={l.url}>
                  <a href={l.url} download={l.file_name} data-testid="download-link" data-sha256={l.sha256}>{l.file_name}</a> <span className="muted">({formatBytes(l.size)})</span>
                </li>
              ))}
            </ul>
          </div>
        )}
      </Card>

      <div className="two-columns">
        {c && (
          <Card title="Configuration">
            <DefinitionList
              items={[
                ['Preset', titleCase(c.preset_id)],
                ['Base model', c.hyperparameters.base_model],
                ['Learning rate', formatLearningRate(c.hyperparameters.learning_rate)],
                ['Batch size', c.hyperparameters.batch_size],
                ['Epochs', c.hyperparameters.num_epochs],
                ['LoRA rank / alpha', `${c.hyperparameters.lora_rank} / ${c.hyperparameters.lora_alpha}`],
                ['LoRA dropout', c.hyperparameters.lora_dropout],
                ['GPUs', `${c.gpu_config.num_gpus}× ${c.gpu_config.gpu_type} at ${formatMoney(c.gpu_config.hourly_rate)}/h`],
              ]}
            />
          </Card>
        )}
        {m.adapter && (
          <Card title="Adapter">
            <DefinitionList
              items={[
                ['Type', m.adapter.peft_type],
                ['Base model', m.adapter.base_model],
                ['Rank / alpha', `${m.adapter.rank} / ${m.adapter.alpha}`],
                ['Target modules', m.adapter.target_modules.join(', ')],
                ['Tensors', formatInt(m.adapter.tensor_count)],
                ['Parameters', formatInt(m.adapter.parameter_count)],
                ['Data type', m.adapter.d_type],
              ]}
            />
          </Card>
        )}
      </div>

      {ready && (m.adapter?.base_model ?? c?.hyperparameters.base_model) && (
        <LoadSnippets baseModel={(m.adapter?.base_model ?? c?.hyperparameters.base_model)!} archiveName={archive?.file_name ?? `${m.name.split(' ').filter((w) => w && w !== '-').join('-').replace(/[^A-Za-z0-9._-]/g, '') || 'adapter'}.zip`} />
      )}

      <ConfirmDialog
        open={confirmDelete}
        title="Delete this model?"
        confirmLabel="Delete model"
        danger
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => remove.mutate()}
        onClose={() => {
          setConfirmDelete(false);
          remove.reset();
        }}
      >
        <p>“{m.name}” leaves your models and its download links stop working.</p>
      </ConfirmDialog>
    </div>
  );
}

function FileRow({ file, disabled, onDownload }: { file: ModelFile; disabled: boolean; onDownload: () => void }) {
  return (
    <li className={`file ${file.flagged ? 'file--flagged' : ''}`} data-testid="model-file" data-file-name={file.name}>
      <div className="file__main">
        <div className="file__name">
          <span className="file__title">{file.name}</span>
          {file.flagged && <StatusBadge status="failed" className="badge--flag" />}
          <span className="muted">{formatBytes(file.size)}</span>
        </div>
        {file.description && <p className="file__description">{file.description}</p>}
        {file.flagged && <p className="file__flag" role="note"><strong>Flagged:</strong> {file.flagged_reason ?? 'not what it claims to be'}</p>}
        <p className="file__hash">
          <span className="muted">SHA-256 </span>
          <code data-testid="file-sha256">{file.sha256}</code>
        </p>
      </div>
      <button type="button" className="button button--secondary button--small" onClick={onDownload} disabled={disabled} aria-label={`Download ${file.name}${file.flagged ? ' (flagged)' : ''}`}>
        {file.flagged ? 'Download anyway' : 'Download'}
      </button>
    </li>
  );
}

function RenameForm({ model, onDone }: { model: ModelArtifact; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(model.name);
  const [description, setDescription] = useState(model.description ?? '');
  const ids = { name: useId(), description: useId() };
  const save = useMutation({
    mutationFn: () => unwrap(client.PATCH('/api/models/{id}', { params: { path: { id: model.id } }, body: { name: name.trim(), description } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(['model', model.id], updated);
      queryClient.invalidateQueries({ queryKey: ['models'] });
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <Card title="Rename the model">
      <form className="stack" onSubmit={submit}>
        <div className="field">
          <label className="field__label" htmlFor={ids.name}>Name</label>
          <input id={ids.name} className="input" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} autoFocus />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={ids.description}>Description</label>
          <textarea id={ids.description} className="input" rows={2} maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <ProblemAlert error={save.error} title="Not saved" />
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : 'Save'}</button>
          <button type="button" className="button button--ghost" onClick={onDone}>Cancel</button>
        </div>
      </form>
    </Card>
  );
}
