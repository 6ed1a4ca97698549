// The monitor's data: GET /api/jobs/{id} once, then live updates from the job's event stream
// (fetch + eventsource-parser, because EventSource cannot send the Authorization header). If the
// stream fails or stops early, GET /api/jobs/{id} is polled instead; both stop when the job ends.
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { authHeaders, client as apiClient, handleUnauthorized, unwrap } from './api';
import { followEventStream } from './sse';
import type { JobDetails, JobUpdate, MetricPoint } from './types';

export type LiveMode = 'connecting' | 'streaming' | 'polling' | 'ended';

const POLL_MS = 2_000;
const AWAIT_MODEL_MS = 10 * 60_000;

export const jobKey = (id: string) => ['job', id] as const;

function mergeMetrics(existing: MetricPoint[], incoming: MetricPoint[]): MetricPoint[] {
  if (incoming.length === 0) return existing;
  const byStep = new Map<number, MetricPoint>();
  for (const p of existing) byStep.set(p.step, p);
  for (const p of incoming) {
    const before = byStep.get(p.step);
    // a later report of the same step may add its validation loss
    byStep.set(p.step, before && p.validation_loss === null && before.validation_loss !== null ? { ...p, validation_loss: before.validation_loss } : p);
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

function applyUpdate(client: QueryClient, id: string, update: JobUpdate) {
  client.setQueryData<JobDetails>(jobKey(id), (prev) => {
    if (prev && prev.revision > update.revision) return prev; // never go back in time
    return {
      job: update.job,
      revision: update.revision,
      as_of: null, // a live picture is the job as it is now
      metrics: mergeMetrics(prev?.metrics ?? [], update.new_metrics ?? []),
      cost_records: prev?.cost_records ?? [],
    };
  });
}

// streams that end before the job does are reopened this many times (each lasts 30 minutes), then polling takes over
const MAX_RECONNECTS = 48;

export function useLiveJob(id: string) {
  const client = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('connecting');

  const query = useQuery({
    queryKey: jobKey(id),
    queryFn: async ({ signal }) => {
      const fresh = (await unwrap(apiClient.GET('/api/jobs/{id}', { params: { path: { id } }, signal }))) as JobDetails;
      const prev = client.getQueryData<JobDetails>(jobKey(id));
      const newer = prev && prev.revision > fresh.revision ? prev : fresh;
      return { ...fresh, job: newer.job, revision: newer.revision, metrics: mergeMetrics(prev?.metrics ?? [], fresh.metrics) };
    },
    refetchInterval: (q) => {
      const job = q.state.data?.job;
      if (!job) return false;
      if (mode === 'polling' && !job.is_terminal) return POLL_MS;
      // the stream ends with the job; the model is linked a little later, so look until it is
      if (job.status === 'completed' && !job.artifact_id && Date.now() - new Date(job.completed_at ?? job.updated_at).getTime() < AWAIT_MODEL_MS) return POLL_MS;
      return false;
    },
  });

  const loaded = query.data !== undefined;
  const terminalAtLoad = query.data?.job.is_terminal ?? false;

  useEffect(() => {
    if (!loaded) return;
    if (terminalAtLoad) {
      setMode('ended');
      return;
    }
    const controller = new AbortController();
    let sawTerminal = false;
    setMode('connecting');
    // the server ends a stream after its lifetime (Training:StreamLifetime): followEventStream reconnects from the last event seen
    followEventStream({
      url: `/api/jobs/${id}/stream`,
      headers: () => authHeaders(),
      onEvent: (event) => {
        if (event.event !== 'job') return;
        try {
          const update = JSON.parse(event.data) as JobUpdate;
          applyUpdate(client, id, update);
          setMode('streaming');
          if (update.job.is_terminal) sawTerminal = true;
        } catch {
          // a malformed event is skipped; the next one carries the whole job again
        }
      },
      finished: () => sawTerminal,
      maxReconnects: MAX_RECONNECTS,
      signal: controller.signal,
    }).then((outcome) => {
      if (outcome === 'finished') {
        setMode('ended');
        // the final picture: cost records and any late validation losses
        client.invalidateQueries({ queryKey: jobKey(id) });
        client.invalidateQueries({ queryKey: ['job-events', id] });
      } else if (outcome === 'unauthorized') {
        handleUnauthorized();
      } else if (outcome === 'stopped') {
        setMode('polling');
      }
    });
    return () => controller.abort();
    // start once per job page; the stream itself reports every later change
  }, [id, loaded, terminalAtLoad, client]);

  // polling found the end
  useEffect(() => {
    if (mode === 'polling' && query.data?.job.is_terminal) setMode('ended');
  }, [mode, query.data?.job.is_terminal]);

  return { ...query, mode };
}
