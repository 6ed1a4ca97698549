import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap, isApiError } from '../lib/api';
import { formatDuration, formatInt, formatMoney, formatNumber, newUuid } from '../lib/format';
import { useDebounced, useDocumentTitle } from '../lib/hooks';
import type { components } from '../lib/schema';
import type { CostEstimate, Dataset, GpuType, Hyperparameters, PresetCatalogue, Range } from '../lib/types';

type Schemas = components['schemas'];
import { Card, EmptyState, LoadError, Notice, PageHeader, ProblemAlert, Skeleton, Spinner } from '../components/ui';
import { SliderField } from '../components/SliderField';

const ESTIMATE_DEBOUNCE_MS = 400;
const DEFAULT_PRESET = 'balanced';
const DEFAULT_GPU = 'A100-80GB';
/** The automatic validation split the page offers (the API accepts 0.01 to 0.5). */
const DEFAULT_SPLIT = 0.1;
const SPLIT_RANGE: Range = [0.01, 0.5];

const presetIcons: Record<string, string> = { fast: '⚡', balanced: '◎', quality: '♛', conservative: '◌', aggressive: '▲', custom: '✎' };

/** Two significant digits: 0.000031 stays 3.1e-5, not 0.00003099. */
function roundSignificant(value: number, digits = 2): number {
  return Number(value.toPrecision(digits));
}

// Warm-up spans 0 to 100,000 steps: a quadratic scale keeps the usual small values reachable.
const WARMUP_POSITIONS = 1000;
function warmupValue(position: number, [min, max]: Range): number {
  const raw = min + (max - min) * (position / WARMUP_POSITIONS) ** 2;
  return Math.min(max, Math.max(min, raw < 100 ? Math.round(raw) : Math.round(raw / 10) * 10));
}
function warmupPosition(value: number, [min, max]: Range): number {
  return max > min ? Math.round(Math.sqrt((value - min) / (max - min)) * WARMUP_POSITIONS) : 0;
}

function range(ranges: Partial<Record<string, number[]>> | undefined, name: string, fallback: Range): Range {
  const r = ranges?.[name];
  return r && r.length === 2 ? [r[0], r[1]] : fallback;
}

export function ConfigurePage() {
  useDocumentTitle('Configure training');
  const [params, setParams] = useSearchParams();
  const datasetId = params.get('datasetId');

  const catalogue = useQuery({ queryKey: ['presets'], queryFn: ({ signal }) => unwrap(client.GET('/api/presets', { signal })), staleTime: Infinity });
  const gpus = useQuery({ queryKey: ['gpus'], queryFn: ({ signal }) => unwrap(client.GET('/api/gpus', { signal })), staleTime: Infinity });
  const dataset = useQuery({
    queryKey: ['dataset', datasetId],
    queryFn: ({ signal }) => unwrap(client.GET('/api/datasets/{id}', { params: { path: { id: datasetId! } }, signal })), // enabled only with an id
    enabled: !!datasetId,
  });

  if (!datasetId) {
    return (
      <div className="page">
        <PageHeader title="Configure training" subtitle="Choose the dataset to train on first." />
        <DatasetPicker onPick={(id) => setParams({ datasetId: id })} />
      </div>
    );
  }

  const header = <PageHeader title="Configure training" subtitle="Pick a preset, adjust what you need, and see the cost before you start." back={{ to: `/datasets/${datasetId}`, label: 'Dataset' }} />;
  if (catalogue.isPending || gpus.isPending || dataset.isPending) {
    return (
      <div className="page">
        {header}
        <Skeleton rows={6} />
      </div>
    );
  }
  const loadError = catalogue.error ?? gpus.error ?? dataset.error;
  if (loadError) {
    return (
      <div className="page">
        {header}
        <LoadError error={loadError} what={dataset.error ? 'Dataset' : 'Training options'} back={{ to: '/datasets', label: 'Back to datasets' }} />
      </div>
    );
  }
  return (
    <div className="page">
      {header}
      <ConfigureForm dataset={dataset.data!} catalogue={catalogue.data!} gpus={gpus.data!.gpus} />
    </div>
  );
}

function DatasetPicker({ onPick }: { onPick: (id: string) => void }) {
  const ready = useQuery({
    queryKey: ['datasets', { status: 'ready', page: 1, limit: 100 }],
    queryFn: ({ signal }) => unwrap(client.GET('/api/datasets', { params: { query: { status: 'ready', limit: 100 } }, signal })),
  });
  const selectId = useId();
  const [choice, setChoice] = useState('');
  if (ready.isPending) return <Skeleton rows={2} />;
  if (ready.error) return <ProblemAlert error={ready.error} title="Could not load datasets" />;
  const usable = ready.data.datasets.filter((d) => d.training_ready);
  if (usable.length === 0) {
    return (
      <Card>
        <EmptyState icon="⇪" title="No dataset is ready for training" action={<Link className="button button--primary" to="/datasets">Go to datasets</Link>}>
          Upload a JSONL dataset; once it is validated without errors you can train on it.
        </EmptyState>
      </Card>
    );
  }
  return (
    <Card title="Dataset">
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (choice) onPick(choice);
        }}
      >
        <div className="field grow">
          <label className="field__label" htmlFor={selectId}>Ready dataset</label>
          <select id={selectId} className="select" value={choice} onChange={(e) => setChoice(e.target.value)}>
            <option value="">Choose a dataset…</option>
            {usable.map((d) => (
              <option key={d.id} value={d.id}>{d.name} ({formatInt(d.total_training_pairs)} examples)</option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button--primary" disabled={!choice}>Continue</button>
      </form>
    </Card>
  );
}

interface FormState {
  presetId: string;
  hp: Hyperparameters;
  gpuType: string;
  gpuCount: number;
  /** Share of the training examples held out for validation, or null for none. */
  validationSplit: number | null;
  seed: number | null;
  /** Another ready dataset of the user's whose every example is a validation example, or null. */
  validationDatasetId: string | null;
}

function ConfigureForm({ dataset, catalogue, gpus }: { dataset: Dataset; catalogue: PresetCatalogue; gpus: GpuType[] }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const initialPreset = catalogue.presets.find((p) => p.id === DEFAULT_PRESET) ?? catalogue.presets[0];
  const [state, setState] = useState<FormState>(() => ({
    presetId: initialPreset.id,
    hp: { ...initialPreset.hyperparameters },
    gpuType: gpus.some((g) => g.id === DEFAULT_GPU) ? DEFAULT_GPU : gpus[0]?.id ?? '',
    gpuCount: 1,
    // off until the user asks: a split adds validation time (and cost) to the job
    validationSplit: null,
    seed: null,
    validationDatasetId: null,
  }));
  const preset = catalogue.presets.find((p) => p.id === state.presetId);
  const adjusted = preset ? JSON.stringify(preset.hyperparameters) !== JSON.stringify(state.hp) : false;
  const r = catalogue.ranges;
  const ids = { model: useId(), presets: useId(), gpus: useId(), seed: useId(), validationDataset: useId() };
  const unset = catalogue.unset_defaults ?? { warmup_steps: 0, weight_decay: 0 };
  const modelBillions = catalogue.base_model_sizes?.[state.hp.base_model];

  const setHp = <K extends keyof Hyperparameters>(key: K, value: Hyperparameters[K]) => setState((s) => ({ ...s, hp: { ...s.hp, [key]: value } }));

  const request = useMemo(() => {
    const hp: Schemas['HyperparameterInput'] = {
      base_model: state.hp.base_model,
      learning_rate: state.hp.learning_rate,
      batch_size: state.hp.batch_size,
      num_epochs: state.hp.num_epochs,
      lora_rank: state.hp.lora_rank,
      lora_alpha: state.hp.lora_alpha,
      lora_dropout: state.hp.lora_dropout,
    };
    if (state.hp.warmup_steps != null) hp.warmup_steps = state.hp.warmup_steps;
    if (state.hp.weight_decay != null) hp.weight_decay = state.hp.weight_decay;
    // one body for the estimate and the start (whose body adds only what the dashboard leaves out, and the seed)
    const body: Schemas['EstimateRequest'] & Pick<Schemas['CreateJobRequest'], 'seed'> = { dataset_id: dataset.id, preset_id: state.presetId, gpu_config: { type: state.gpuType, count: state.gpuCount }, hyperparameters: hp };
    if (state.validationSplit !== null) body.validation_split = state.validationSplit;
    if (state.seed !== null) body.seed = state.seed;
    if (state.validationDatasetId !== null) body.validation_dataset_id = state.validationDatasetId;
    return body;
  }, [dataset.id, state]);

  const debounced = useDebounced(request, ESTIMATE_DEBOUNCE_MS);
  const stale = debounced !== request;
  const estimate = useQuery({
    queryKey: ['estimate', debounced],
    queryFn: () => unwrap(client.POST('/api/jobs/estimate', { body: debounced })),
    placeholderData: keepPreviousData,
    enabled: dataset.training_ready,
    staleTime: 60_000,
  });

  // One idempotency key per submission of this exact form: a double click or a retry after a
  // network error makes one job; any change to the form makes the next submission a new job.
  const idempotencyKey = useRef<string | null>(null);
  const requestJson = JSON.stringify(request);
  useEffect(() => {
    idempotencyKey.current = null;
  }, [requestJson]);

  const create = useMutation({
    mutationFn: (key: string) => unwrap(client.POST('/api/jobs', { body: request, headers: { 'Idempotency-Key': key } })),
    onSuccess: (job) => {
      queryClient.invalidateQueries({ queryKey: ['jobs'] });
      navigate(`/training/jobs/${job.id}`);
    },
  });
  // a second click before React re-renders must not send a second request either
  const submitting = useRef(false);
  const start = () => {
    if (submitting.current) return;
    submitting.current = true;
    idempotencyKey.current ??= newUuid();
    create.mutate(idempotencyKey.current, { onSettled: () => { submitting.current = false; } });
  };

  const selectedGpu = gpus.find((g) => g.id === state.gpuType);
  const lr = range(r, 'learning_rate', [1e-5, 1e-3]);
  const batch = range(r, 'batch_size', [1, 64]);
  const epochs = range(r, 'epochs', [1, 20]);
  const rank = range(r, 'lora_rank', [4, 128]);
  const alpha = range(r, 'lora_alpha', [1, 512]);
  const dropout = range(r, 'lora_dropout', [0, 0.5]);
  const warmup = range(r, 'warmup_steps', [0, 100000]);
  const decay = range(r, 'weight_decay', [0, 1]);
  const gpuCount = range(r, 'num_gpus', [1, 8]);

  if (!dataset.training_ready) {
    return (
      <Card>
        <EmptyState icon="!" title={`“${dataset.name}” is not ready for training`} action={<Link className="button button--primary" to={`/datasets/${dataset.id}`}>See the dataset</Link>}>
          {dataset.status === 'validating' || dataset.status === 'uploading' ? 'It is still being validated.' : 'It has errors to fix first.'}
        </EmptyState>
      </Card>
    );
  }

  return (
    <div className="configure">
      <div className="configure__form stack">
        <Card className="dataset-strip" headingLevel={2} title={dataset.name} description={`${formatInt(dataset.total_training_pairs)} training examples · ${formatInt(dataset.total_validation_pairs)} validation · ${formatInt(dataset.total_tokens)} tokens`} />

        <Card title="Preset" description="A starting point for every hyperparameter; adjust any of them below.">
          <fieldset className="choice-grid choice-grid--presets">
            <legend className="visually-hidden">Training preset</legend>
            {catalogue.presets.map((p) => (
              <label key={p.id} className={`choice ${state.presetId === p.id ? 'choice--selected' : ''}`} data-testid={`preset-${p.id}`}>
                <input
                  type="radio"
                  name={ids.presets}
                  value={p.id}
                  checked={state.presetId === p.id}
                  onChange={() => setState((s) => ({ ...s, presetId: p.id, hp: { ...p.hyperparameters } }))}
                />
                <span className="choice__head">
                  <span className="choice__icon" aria-hidden="true">{presetIcons[p.id] ?? '•'}</span>
                  <span className="choice__title">{p.name}</span>
                  {state.presetId === p.id && adjusted && <span className="tag">adjusted</span>}
                </span>
                <span className="choice__text">{p.description}</span>
                <span className="choice__meta">
                  LR {p.hyperparameters.learning_rate.toExponential(0)} · batch {p.hyperparameters.batch_size} · {p.hyperparameters.num_epochs} epoch{p.hyperparameters.num_epochs === 1 ? '' : 's'} · rank {p.hyperparameters.lora_rank}
                </span>
              </label>
            ))}
          </fieldset>
        </Card>

        <Card title="Model and GPUs">
          <div className="stack">
            <div className="field">
              <label className="field__label" htmlFor={ids.model}>Base model</label>
              <select id={ids.model} className="select" value={state.hp.base_model} onChange={(e) => setHp('base_model', e.target.value)}>
                {catalogue.base_models.map((m) => (
                  <option key={m} value={m}>{m}</option>
                ))}
              </select>
              {modelBillions !== undefined && (
                <p className="field__hint" data-testid="base-model-rule">
                  {formatNumber(modelBillions, 1)}B parameters. GPU throughputs below are for a 7B model; training speed scales with 7B ÷ parameters
                  {modelBillions !== 7 ? ` (×${formatNumber(7 / modelBillions, 2)} here)` : ''}.
                </p>
              )}
            </div>
            <fieldset className="choice-grid choice-grid--gpus">
              <legend className="field__label">GPU type</legend>
              {gpus.map((g) => (
                <label key={g.id} className={`choice ${state.gpuType === g.id ? 'choice--selected' : ''}`} data-testid={`gpu-${g.id}`}>
                  <input type="radio" name={ids.gpus} value={g.id} checked={state.gpuType === g.id} onChange={() => setState((s) => ({ ...s, gpuType: g.id }))} />
                  <span className="choice__head">
                    <span className="choice__title">{g.name}</span>
                  </span>
                  <span className="choice__price">{formatMoney(g.price_per_gpu_hour)}<span className="muted">/GPU-hour</span></span>
                  <span className="choice__meta">{formatInt(g.throughput_tokens_per_second)} tokens/s · {g.memory_gb} GB</span>
                  <span className="choice__text">{g.description}</span>
                </label>
              ))}
            </fieldset>
            <SliderField
              label="Number of GPUs"
              testId="slider-gpu-count"
              value={state.gpuCount}
              min={gpuCount[0]}
              max={gpuCount[1]}
              step={1}
              display={`${state.gpuCount} × ${selectedGpu?.id ?? ''}`}
              onChange={(v) => setState((s) => ({ ...s, gpuCount: v }))}
              hint={state.gpuCount > 1
                ? `Data parallel: ×${estimate.data?.throughput?.gpu_scaling ?? state.gpuCount} the training throughput, at ${state.gpuCount}× the hourly rate; start-up, validation and saving take as long as on one GPU.`
                : 'More GPUs train faster in parallel; the hourly rate grows with them, and fixed start-up and saving times do not shrink.'}
            />
          </div>
        </Card>

        <Card title="Hyperparameters" description={preset ? `Starting from the ${preset.name} preset${adjusted ? ', adjusted' : ''}.` : undefined}>
          <div className="slider-grid">
            <SliderField
              label="Learning rate"
              testId="slider-learning-rate"
              value={Math.log10(state.hp.learning_rate)}
              min={Math.log10(lr[0])}
              max={Math.log10(lr[1])}
              step={0.01}
              display={state.hp.learning_rate.toExponential(1)}
              valueText={state.hp.learning_rate.toExponential(1)}
              minLabel={lr[0].toExponential(0)}
              maxLabel={lr[1].toExponential(0)}
              onChange={(v) => setHp('learning_rate', Math.min(lr[1], Math.max(lr[0], roundSignificant(10 ** v))))}
              hint="Lower is more stable; higher converges faster but may diverge."
            />
            <SliderField label="Batch size" testId="slider-batch-size" value={state.hp.batch_size} min={batch[0]} max={batch[1]} step={1} display={state.hp.batch_size} onChange={(v) => setHp('batch_size', v)} hint="Examples per step; larger needs more GPU memory." />
            <SliderField label="Epochs" testId="slider-epochs" value={state.hp.num_epochs} min={epochs[0]} max={epochs[1]} step={1} display={state.hp.num_epochs} onChange={(v) => setHp('num_epochs', v)} hint="Passes over the dataset; returns diminish after a few." />
            <SliderField label="LoRA rank" testId="slider-lora-rank" value={state.hp.lora_rank} min={rank[0]} max={rank[1]} step={4} display={state.hp.lora_rank} onChange={(v) => setHp('lora_rank', v)} hint="Higher is more expressive and a larger adapter." />
            <SliderField label="LoRA alpha" testId="slider-lora-alpha" value={state.hp.lora_alpha} min={alpha[0]} max={alpha[1]} step={1} display={state.hp.lora_alpha} onChange={(v) => setHp('lora_alpha', v)} hint="Scales the adapter's update; often twice the rank." />
            <SliderField label="LoRA dropout" testId="slider-lora-dropout" value={state.hp.lora_dropout} min={dropout[0]} max={dropout[1]} step={0.01} display={state.hp.lora_dropout.toFixed(2)} onChange={(v) => setHp('lora_dropout', Number(v.toFixed(2)))} hint="Regularisation of the adapter's layers." />
            <SliderField
              label="Warm-up steps"
              testId="slider-warmup-steps"
              value={warmupPosition(state.hp.warmup_steps ?? 0, warmup)}
              min={0}
              max={WARMUP_POSITIONS}
              step={1}
              display={state.hp.warmup_steps == null ? `${formatInt(unset.warmup_steps)} (preset default)` : formatInt(state.hp.warmup_steps)}
              valueText={state.hp.warmup_steps == null ? `${unset.warmup_steps} steps (preset default)` : `${state.hp.warmup_steps} steps`}
              minLabel={formatInt(warmup[0])}
              maxLabel={formatInt(warmup[1])}
              onChange={(v) => setHp('warmup_steps', warmupValue(v, warmup))}
              hint="Steps over which the learning rate ramps up (finer at the low end)."
            />
            <SliderField
              label="Weight decay"
              testId="slider-weight-decay"
              value={state.hp.weight_decay ?? 0}
              min={decay[0]}
              max={decay[1]}
              step={0.01}
              display={state.hp.weight_decay == null ? `${unset.weight_decay.toFixed(2)} (preset default)` : state.hp.weight_decay.toFixed(2)}
              onChange={(v) => setHp('weight_decay', Number(v.toFixed(2)))}
              hint="L2 penalty on the weights."
            />
          </div>
        </Card>

        <ValidationCard
          dataset={dataset}
          split={state.validationSplit}
          seed={state.seed}
          validationDatasetId={state.validationDatasetId}
          ids={ids}
          onSplit={(validationSplit) => setState((s) => ({ ...s, validationSplit }))}
          onSeed={(seed) => setState((s) => ({ ...s, seed }))}
          onValidationDataset={(validationDatasetId) => setState((s) => ({ ...s, validationDatasetId }))}
        />
      </div>

      <aside className="configure__summary" aria-labelledby="estimate-heading">
        <section className="card estimate" data-testid="estimate" aria-busy={estimate.isFetching || stale}>
          <div className="estimate__head">
            <h2 className="card__title" id="estimate-heading">Cost estimate</h2>
            <span className={`estimate__status ${estimate.isFetching || stale ? 'estimate__status--busy' : ''}`} aria-live="polite" data-testid="estimate-status">
              {estimate.isFetching || stale ? <Spinner label="Updating" /> : estimate.data ? 'Up to date' : ''}
            </span>
          </div>
          <p className="card__description estimate__description">Follows every change you make, before anything is spent.</p>
          {estimate.error ? (
            <ProblemAlert error={estimate.error} title="No estimate" />
          ) : !estimate.data ? (
            <Skeleton rows={4} />
          ) : (
            <EstimateView estimate={estimate.data} />
          )}
          <ProblemAlert
            error={create.error}
            title="The job was not started"
            action={isApiError(create.error, 402) ? <Link className="button button--secondary button--small" to="/costs">See budget</Link> : undefined}
          />
          {estimate.data && typeof estimate.data.allowed_to_proceed === 'boolean' && (
            <div data-testid="estimate-budget" data-allowed={estimate.data.allowed_to_proceed}>
              <Notice tone={estimate.data.allowed_to_proceed ? 'success' : 'warning'} title={estimate.data.allowed_to_proceed ? undefined : 'Over your hard monthly limit'}>
                {estimate.data.reason}
                {!estimate.data.allowed_to_proceed && <> <Link to="/costs">Open the Costs page</Link></>}
              </Notice>
            </div>
          )}
          <div className="estimate__actions">
            <button type="button" className="button button--primary button--block button--large" onClick={start} disabled={create.isPending || !!estimate.error}>
              {create.isPending ? <Spinner label="Starting…" /> : 'Start training'}
            </button>
            <Link className="button button--ghost button--block" to={`/datasets/${dataset.id}`}>Cancel</Link>
          </div>
        </section>
      </aside>

      {/* on narrow screens the estimate card sits below the form: keep the total and the button in reach */}
      <div className="estimate-bar" aria-hidden="true">
        <div className="estimate-bar__text">
          <span className="estimate-bar__label">Estimated</span>
          <span className="estimate-bar__value">{estimate.data ? formatMoney(estimate.data.estimated_cost) : '—'}</span>
          {estimate.data && <span className="estimate-bar__sub">{formatDuration(estimate.data.estimated_duration_hours)} · {formatMoney(estimate.data.hourly_rate)}/h</span>}
        </div>
        <button type="button" tabIndex={-1} className="button button--primary" onClick={start} disabled={create.isPending || !!estimate.error}>
          {create.isPending ? 'Starting…' : 'Start training'}
        </button>
      </div>
    </div>
  );
}

function ValidationCard({ dataset, split, seed, validationDatasetId, ids, onSplit, onSeed, onValidationDataset }: {
  dataset: Dataset;
  split: number | null;
  seed: number | null;
  validationDatasetId: string | null;
  ids: { seed: string; validationDataset: string };
  onSplit: (split: number | null) => void;
  onSeed: (seed: number | null) => void;
  onValidationDataset: (id: string | null) => void;
}) {
  // the other ready datasets: any of them can be this job's validation set (the server refuses the training one)
  const others = useQuery({
    queryKey: ['datasets', { status: 'ready', page: 1, limit: 100 }],
    queryFn: ({ signal }) => unwrap(client.GET('/api/datasets', { params: { query: { status: 'ready', limit: 100 } }, signal })),
  });
  const candidates = (others.data?.datasets ?? []).filter((d) => d.id !== dataset.id);
  const chosen = candidates.find((d) => d.id === validationDatasetId);
  const none = !dataset.total_validation_pairs && validationDatasetId === null;
  const training = dataset.total_training_pairs ?? 0;
  const moved = split === null ? 0 : splitCount(training, split);
  return (
    <Card title="Validation" description="Validation loss, measured after each epoch on examples the model does not train on, shows whether it generalises.">
      <div className="stack">
        {none && split === null && (
          <div data-testid="no-validation-warning">
            <Notice tone="warning" title="No validation examples">
              This dataset has no examples with <code>"split": "validation"</code>, so no validation loss will exist. Hold out a share of the examples, or choose a validation dataset, below.
            </Notice>
          </div>
        )}
        <label className="checkbox">
          <input type="checkbox" data-testid="validation-split-toggle" checked={split !== null} onChange={(e) => onSplit(e.target.checked ? DEFAULT_SPLIT : null)} disabled={training < 2} />
          <span>Hold out a share of the training examples for validation (automatic split)</span>
        </label>
        {split !== null && (
          <>
            <SliderField
              label="Validation share"
              testId="slider-validation-split"
              value={split}
              min={SPLIT_RANGE[0]}
              max={SPLIT_RANGE[1]}
              step={0.01}
              display={`${Math.round(split * 100)}%`}
              onChange={(v) => onSplit(Number(v.toFixed(2)))}
              hint={`${formatInt(moved)} of ${formatInt(training)} training examples become validation examples${none ? '' : `, besides the dataset's ${formatInt(dataset.total_validation_pairs)}`}; the seed picks which.`}
            />
            <div className="field">
              <label className="field__label" htmlFor={ids.seed}>Seed</label>
              <input
                id={ids.seed}
                className="input"
                type="number"
                min={0}
                step={1}
                placeholder="chosen by the cluster (42)"
                value={seed ?? ''}
                onChange={(e) => onSeed(e.target.value === '' ? null : Math.max(0, Math.floor(Number(e.target.value))))}
              />
              <p className="field__hint">The same seed and dataset always hold out the same examples.</p>
            </div>
          </>
        )}
        {candidates.length > 0 && (
          <div className="field">
            <label className="field__label" htmlFor={ids.validationDataset}>Validation dataset (optional)</label>
            <select
              id={ids.validationDataset}
              className="select"
              data-testid="validation-dataset"
              value={validationDatasetId ?? ''}
              onChange={(e) => onValidationDataset(e.target.value === '' ? null : e.target.value)}
            >
              <option value="">None</option>
              {candidates.map((d) => (
                <option key={d.id} value={d.id}>{d.name} ({formatInt(examplesOf(d))} examples)</option>
              ))}
            </select>
            <p className="field__hint">
              {chosen
                ? `All ${formatInt(examplesOf(chosen))} examples of “${chosen.name}” are measured after each epoch, never trained on; it cannot be deleted while the job runs.`
                : 'Another of your ready datasets, measured after each epoch and never trained on.'}
            </p>
          </div>
        )}
      </div>
    </Card>
  );
}

/** A validation dataset counts every example, whatever its split (the estimate's from_validation_dataset). */
function examplesOf(d: { total_training_pairs?: number | null; total_validation_pairs?: number | null }): number {
  return (d.total_training_pairs ?? 0) + (d.total_validation_pairs ?? 0);
}

/** The server's rule (ValidationSplit.Moved): floor(examples × share), at least 1, leaving at least 1. */
function splitCount(examples: number, share: number): number {
  if (share <= 0 || examples < 2) return 0;
  return Math.min(examples - 1, Math.max(1, Math.floor(examples * share)));
}

function formatSeconds(seconds: number): string {
  return seconds === 0 ? '—' : formatDuration(seconds / 3600);
}

function EstimateView({ estimate }: { estimate: CostEstimate }) {
  const lines = estimate.lines ?? [];
  return (
    <div className="estimate__body">
      <dl className="estimate__lines" data-testid="estimate-lines">
        {lines.length > 0 ? (
          lines.map((line) => (
            <div key={line.id} data-testid={`estimate-line-${line.id}`}>
              <dt>
                {line.label}
                {line.seconds > 0 && <span className="muted"> · {formatSeconds(line.seconds)}</span>}
              </dt>
              <dd data-testid="estimate-line-cost" data-cost={line.cost}>{formatMoney(line.cost)}</dd>
            </div>
          ))
        ) : (
          <>
            <div>
              <dt>Compute</dt>
              <dd data-testid="estimate-compute">{formatMoney(estimate.cost_breakdown.compute)}</dd>
            </div>
            <div>
              <dt>Storage</dt>
              <dd data-testid="estimate-storage">{formatMoney(estimate.cost_breakdown.storage)}</dd>
            </div>
          </>
        )}
        <div className="estimate__total">
          <dt>Total estimated cost</dt>
          <dd data-testid="estimate-total" data-cost={estimate.estimated_cost}>{formatMoney(estimate.estimated_cost)}</dd>
        </div>
      </dl>
      {(estimate.warnings ?? []).map((w) => (
        <div key={w} data-testid="estimate-warning">
          <Notice tone="warning">{w}</Notice>
        </div>
      ))}
      <dl className="estimate__facts">
        <div>
          <dt>Duration</dt>
          <dd data-testid="estimate-duration">{formatDuration(estimate.estimated_duration_hours)}</dd>
        </div>
        <div>
          <dt>Hourly rate</dt>
          <dd data-testid="estimate-hourly-rate">{formatMoney(estimate.hourly_rate)}/h</dd>
        </div>
        <div>
          <dt>Total steps</dt>
          <dd data-testid="estimate-steps">{formatInt(estimate.training_details.total_steps)}</dd>
        </div>
        <div>
          <dt>Steps per epoch</dt>
          <dd>{formatInt(estimate.training_details.steps_per_epoch)}</dd>
        </div>
        {estimate.tokens && (
          <div className="span-2">
            <dt>Trained tokens</dt>
            <dd data-testid="estimate-tokens" title={estimate.tokens.note}>
              {formatInt(estimate.tokens.trained_tokens)} of {formatInt(estimate.tokens.total_tokens)}
              {estimate.tokens.max_sequence_length > 0 && <span className="muted"> (cut at {formatInt(estimate.tokens.max_sequence_length)})</span>}
            </dd>
          </div>
        )}
        <div className="span-2">
          <dt>Throughput</dt>
          <dd data-testid="estimate-throughput">{formatNumber(estimate.training_details.estimated_throughput_tokens_per_sec, 0)} tokens/s</dd>
        </div>
      </dl>
      {estimate.throughput && <p className="field__hint" data-testid="estimate-throughput-rule">{estimate.throughput.rule}</p>}
      {estimate.tokens && <p className="field__hint">{estimate.tokens.note}</p>}
    </div>
  );
}
