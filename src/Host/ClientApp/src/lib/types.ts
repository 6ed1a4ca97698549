// Wire types of the LoraPipeline API (snake_case, as the API sends them): the `data` of each answer, named as the
// dashboard names them. They are the types generated from the server's OpenAPI document (./schema.d.ts, from
// ../../openapi/v1.json by `npm run gen:api`), so a server change the dashboard does not follow fails the type check.
// Hand-written below is only what the document cannot say, each with the reason.
import type { components } from './schema';

type Schemas = components['schemas'];


export type Pagination = Schemas['Pagination'];
export type Me = Schemas['MeResponse'];

export type DatasetStatus = Schemas['DatasetStatus'];
export type DatasetSummary = Schemas['DatasetSummary'];
export type Dataset = Schemas['DatasetView'];
export type DatasetErrors = Schemas['DatasetErrors'];
export type ValidationIssue = Schemas['ValidationIssue'];
export type ValidationReport = Schemas['ValidationReport'];
export type Distribution = Schemas['ValueDistribution'];
/** Examples whose value lies in from..to (both included). */
export type HistogramBin = Schemas['HistogramBin'];

/** `warmup_steps` and `weight_decay` are optional: a request may leave them out (the answers always send them, null when unset). */
export type Hyperparameters = Schemas['Hyperparameters'];
export type Preset = Schemas['Preset'];
export type PresetCatalogue = Schemas['PresetList'];
/** A hyperparameter's [min, max]: the document has each range as an array of numbers (a C# array), always two. */
export type Range = [number, number];
export type GpuType = Schemas['GpuType'];
export type CostEstimate = Schemas['CostEstimate'];
export type EstimateLine = Schemas['EstimateLine'];

export type JobStatus = Schemas['JobStatus'];
export type GpuConfig = Schemas['GpuConfig'];
export type CurrentMetrics = Schemas['CurrentMetrics'];
export type JobDataset = Schemas['JobDataset'];
export type TrainingJob = Schemas['JobView'];
export type JobTiming = Schemas['JobTimingView'];
export type AttemptUsage = Schemas['AttemptUsage'];
export type JobCheckpoint = Schemas['JobCheckpoint'];
/** A metric point as the job's answers and its stream send it. */
export type MetricPoint = Schemas['JobMetricPoint'];

/**
 * The document has `cost_records` as a list of untyped objects: the Training module passes on the Billing module's
 * records without a reference to their type. They are Billing's cost records.
 */
export type JobDetails = Omit<Schemas['JobDetails'], 'job' | 'metrics' | 'cost_records'> & {
  job: TrainingJob;
  metrics: MetricPoint[];
  cost_records: CostRecord[];
};

/**
 * What each `job` event of GET /api/jobs/{id}/stream carries as its data. The document cannot describe it: it
 * describes the stream as text/event-stream without a schema for the events (the server's JobUpdate record).
 */
export interface JobUpdate {
  job: TrainingJob;
  new_metrics: MetricPoint[];
  revision: number;
}

/** The document has `data` as untyped (an object on the server): each event type's own fields, read by name. */
export type JobEvent = Omit<Schemas['JobEvent'], 'data'> & { data: Record<string, unknown> };
export type JobLogLine = Schemas['JobLogLine'];

export type ModelFile = Schemas['ArtifactFile'];
export type QualityMetrics = Schemas['QualityMetrics'];
export type ModelArtifact = Schemas['ModelView'];
export type DownloadLink = Schemas['DownloadLink'];
/** A signed link to the whole adapter as one .zip. */
export type ArchiveLink = Schemas['ArchiveLink'];

/**
 * The document has `details` as an object of unknown keys (a dictionary of objects on the server); these are the
 * keys the cost lines write.
 */
export type CostRecord = Omit<Schemas['CostRecord'], 'details'> & {
  details: { gpu_type?: string; gpu_count?: number; hourly_rate?: number; duration_hours?: number; stored_bytes?: number; one_off?: boolean } | null;
};
export type CostReport = Omit<Schemas['CostReport'], 'records'> & { records: CostRecord[] };
export type BudgetStatus = Schemas['BudgetStatus'];
export type Budget = Schemas['BudgetUsage'];

/** The document has `metadata` as an object of unknown keys (a dictionary of objects on the server). */
export type Notification = Omit<Schemas['Notification'], 'metadata'> & { metadata: Record<string, unknown> | null };
export type NotificationList = Omit<Schemas['NotificationList'], 'notifications'> & { notifications: Notification[] };
