// Wire types of the LoraPipeline API (snake_case, as the API sends them).

export interface Pagination {
  page: number;
  limit: number;
  total: number;
  total_pages: number;
}

export interface Me {
  id: string;
  name: string;
  created_at: string;
  api_key_id: string;
}

export type DatasetStatus = 'uploading' | 'validating' | 'ready' | 'error';

export interface DatasetSummary {
  id: string;
  name: string;
  description: string | null;
  format: string;
  status: DatasetStatus;
  file_name: string;
  file_size: number;
  total_training_pairs: number | null;
  total_validation_pairs: number | null;
  total_tokens: number | null;
  training_ready: boolean;
  error_count: number;
  warning_count: number;
  created_at: string;
  validated_at: string | null;
}

export interface ValidationIssue {
  line: number;
  code: string;
  error: string;
  suggestion: string;
}

export interface Distribution {
  min: number;
  max: number;
  mean: number;
  median: number;
  p10: number;
  p90: number;
}

export interface ValidationReport {
  example_count: number;
  examples_missing_system: number;
  examples_missing_user: number;
  messages_per_example: Distribution | null;
  tokens_per_example: Distribution | null;
  assistant_tokens_per_example: Distribution | null;
  max_sequence_length: number;
  examples_over_max_length: number;
  billable_tokens: number;
  /** Examples counted in adjacent bins of round width; absent in reports recorded before histograms. */
  messages_histogram?: HistogramBin[] | null;
  tokens_histogram?: HistogramBin[] | null;
  assistant_tokens_histogram?: HistogramBin[] | null;
}

/** Examples whose value lies in from..to (both included). */
export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

export interface Dataset extends DatasetSummary {
  file_sha256: string;
  avg_turns_per_conversation: number | null;
  avg_tokens_per_turn: number | null;
  validation_errors: ValidationIssue[];
  error_counts: Record<string, number>;
  errors_listed: number | null;
  errors_list_truncated: boolean;
  warnings: ValidationIssue[];
  warning_counts: Record<string, number>;
  sample_data: unknown[];
  validation_report: ValidationReport | null;
  max_sequence_length: number;
  tokenizer: string;
  validation_run: number;
  validation_progress: { bytes_processed: number; total_bytes: number; percent: number } | null;
  updated_at: string;
}

export interface DatasetErrors {
  status: DatasetStatus;
  total_errors: number;
  errors_listed: number;
  truncated: boolean;
  error_counts: Record<string, number>;
  errors: ValidationIssue[];
  pagination: Pagination;
}

export interface Hyperparameters {
  base_model: string;
  learning_rate: number;
  batch_size: number;
  num_epochs: number;
  lora_rank: number;
  lora_alpha: number;
  lora_dropout: number;
  warmup_steps: number | null;
  weight_decay: number | null;
}

export interface Preset {
  id: string;
  name: string;
  description: string;
  hyperparameters: Hyperparameters;
}

export type Range = [number, number];

export interface PresetCatalogue {
  presets: Preset[];
  base_models: string[];
  ranges: Record<string, Range>;
  /** What training uses for the optional hyperparameters a preset leaves unset. */
  unset_defaults?: { warmup_steps: number; weight_decay: number };
  /** Billions of parameters per base model, as the estimate's throughput rule counts them. */
  base_model_sizes?: Record<string, number>;
}

export interface GpuType {
  id: string;
  name: string;
  price_per_gpu_hour: number;
  throughput_tokens_per_second: number;
  memory_gb: number;
  description: string;
}

export interface CostEstimate {
  estimated_cost: number;
  cost_breakdown: { compute: number; storage: number };
  estimated_duration_hours: number;
  hourly_rate: number;
  training_details: {
    total_steps: number;
    steps_per_epoch: number;
    estimated_throughput_tokens_per_sec: number;
    dataset_name: string;
  };
  allowed_to_proceed?: boolean | null;
  reason?: string | null;
  budget_remaining?: number | null;
  /** The itemised estimate: the lines' costs add up to estimated_cost exactly. */
  lines?: EstimateLine[];
  tokens?: { total_tokens: number; trained_tokens: number; max_sequence_length: number; training_examples: number; trained_tokens_per_epoch: number; note: string };
  throughput?: {
    catalogue_tokens_per_sec_per_gpu: number;
    reference_model_billions: number;
    base_model_billions: number;
    model_factor: number;
    num_gpus: number;
    gpu_scaling: number;
    tokens_per_sec: number;
    rule: string;
  };
  validation?: { examples: number; from_dataset: number; from_split: number; split: number | null };
  warnings?: string[];
}

export interface EstimateLine {
  id: string;
  label: string;
  seconds: number;
  cost: number;
}

export type JobStatus = 'queued' | 'initializing' | 'running' | 'paused' | 'recovering' | 'completed' | 'failed' | 'cancelled';

export interface GpuConfig {
  gpu_type: string;
  num_gpus: number;
  gpu_memory_gb: number;
  cost_per_gpu_hour: number;
  hourly_rate: number;
}

export interface CurrentMetrics {
  training_loss: number;
  validation_loss: number | null;
  learning_rate: number;
  throughput: number | null;
  gpu_utilization: number | null;
  gradient_norm: number | null;
}

export interface JobDataset {
  id: string;
  name: string;
  format: string;
  total_training_pairs: number;
  total_tokens: number | null;
}

export interface TrainingJob {
  id: string;
  dataset_id: string;
  dataset: JobDataset;
  preset_id: string;
  hyperparameters: Hyperparameters;
  gpu_config: GpuConfig;
  status: JobStatus;
  current_stage: string;
  progress: number;
  current_epoch: number;
  total_epochs: number;
  current_step: number;
  total_steps: number;
  current_metrics: CurrentMetrics | null;
  queued_at: string;
  started_at: string | null;
  completed_at: string | null;
  estimated_completion_at: string | null;
  current_cost: number;
  estimated_total_cost: number;
  estimated_duration_hours: number;
  final_cost: number | null;
  hourly_rate: number;
  error_message: string | null;
  retry_count: number;
  /** the run on the cluster: 1, then one more per restart after a pause or a preemption */
  attempt: number;
  recovery_count: number;
  /** the cluster's GPU-seconds over all attempts (null from a cluster that does not report them) */
  gpu_seconds: number | null;
  attempts: AttemptUsage[] | null;
  checkpoint_count: number;
  external_job_id: string | null;
  artifact_id: string | null;
  created_at: string;
  updated_at: string;
  is_active: boolean;
  is_terminal: boolean;
  /** the job's clock: elapsed, live pace and time left (see JobTiming on the server) */
  timing?: JobTiming | null;
}

export interface JobTiming {
  elapsed_seconds: number | null;
  steps_per_second: number | null;
  /** at the live pace, as of the answer; null until two metric points are in, and when the job is not running */
  estimated_seconds_left: number | null;
  estimated_end_at: string | null;
  estimated_duration_seconds: number;
  actual_duration_seconds: number | null;
}

export interface MetricPoint {
  step: number;
  epoch: number;
  training_loss: number;
  validation_loss: number | null;
  learning_rate: number;
  gradient_norm: number | null;
  throughput: number | null;
  gpu_utilization: number | null;
  timestamp: string;
}

export interface AttemptUsage {
  attempt: number;
  started_at: string | null;
  ended_at: string | null;
  gpu_seconds: number;
  cost: number;
  outcome: string;
  from_step: number;
}

export interface JobCheckpoint {
  step: number;
  epoch: number;
  created_at: string;
  training_loss: number | null;
  validation_loss: number | null;
  attempt: number;
  files: string[];
}

export interface JobDetails {
  job: TrainingJob;
  metrics: MetricPoint[];
  cost_records: CostRecord[];
  /** how many events the job has had: a higher one is a later picture of the job */
  revision: number;
}

export interface JobUpdate {
  job: TrainingJob;
  new_metrics: MetricPoint[];
  revision: number;
}

export interface JobEvent {
  version: number;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  /** what the event says in the job's log: one line per metric point, none for bookkeeping */
  log?: JobLogLine[];
}

export interface JobLogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  step: number | null;
}

export interface ModelFile {
  name: string;
  size: number;
  sha256: string;
  storage_path: string;
  description: string | null;
  flagged_reason: string | null;
  flagged: boolean;
}

export interface QualityMetrics {
  final_training_loss: number | null;
  final_validation_loss: number | null;
  perplexity: number | null;
  loss_reduction: number | null;
  generalization_gap: number | null;
  convergence_quality: string | null;
  overall_score: number | null;
}

export interface ModelArtifact {
  id: string;
  job_id: string;
  dataset_id: string;
  dataset_name: string;
  name: string;
  version: string;
  description: string | null;
  status: string;
  quality_metrics: QualityMetrics | null;
  training_summary: {
    epochs_completed: number;
    total_steps: number;
    final_loss: number | null;
    training_duration_hours: number;
    total_cost: number;
  } | null;
  configuration: { preset_id: string; hyperparameters: Hyperparameters; gpu_config: GpuConfig } | null;
  adapter: {
    peft_type: string;
    base_model: string;
    rank: number;
    alpha: number;
    target_modules: string[];
    tensor_count: number;
    parameter_count: number;
    d_type: string;
  } | null;
  artifacts: ModelFile[];
  total_size: number;
  collection_error: string | null;
  quality_score: number | null;
  created_at: string;
  updated_at: string;
}

export interface DownloadLink {
  file_name: string;
  size: number;
  sha256: string;
  url: string;
  expires_at: string;
  flagged: boolean;
  flagged_reason: string | null;
}

/** A signed link to the whole adapter as one .zip. */
export interface ArchiveLink {
  file_name: string;
  url: string;
  expires_at: string;
  files: string[];
  uncompressed_size: number;
}

export interface CostRecord {
  id: string;
  job_id: string | null;
  artifact_id: string | null;
  cost_type: string;
  /** The job's name (its dataset's) or the model's; null in records made before names. */
  name?: string | null;
  amount: number;
  details: { gpu_type?: string; gpu_count?: number; hourly_rate?: number; duration_hours?: number; stored_bytes?: number; one_off?: boolean } | null;
  billing_period: string;
  recorded_at: string;
}

export interface CostReport {
  period: { start_date: string; end_date: string };
  total_cost: number;
  cost_by_type: Record<string, number>;
  chart_data: { date: string; amount: number; by_type?: Record<string, number> }[];
  records: CostRecord[];
  records_pagination?: Pagination;
}

export type BudgetStatus = 'none' | 'ok' | 'warning' | 'exceeded';

export interface Budget {
  monthly_limit: number | null;
  hard_limit: boolean;
  month: string;
  spent: number;
  accruing: number;
  used: number;
  percent_used: number | null;
  status: BudgetStatus;
}

export type Priority = 'low' | 'medium' | 'high';

export interface Notification {
  id: string;
  type: string;
  title: string;
  message: string;
  priority: Priority;
  read: boolean;
  action_url: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
}

export interface NotificationList {
  notifications: Notification[];
  unread_count: number;
}
