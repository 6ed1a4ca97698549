import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../lib/api';
import { openLink } from '../lib/download';
import { formatDateTime, formatFixed, formatInt } from '../lib/format';
import type { DownloadLink, TrainingJob } from '../lib/types';
import { Card, EmptyState, ProblemAlert, Skeleton, Spinner } from './ui';

/** A job's checkpoints, each with its losses and a download of its adapter (copied from the cluster on the first request). */
export function CheckpointsTab({ job }: { job: TrainingJob }) {
  const [links, setLinks] = useState<{ step: number; links: DownloadLink[] } | null>(null);
  const checkpoints = useQuery({
    queryKey: ['job-checkpoints', job.id, job.checkpoint_count],
    queryFn: ({ signal }) => unwrap(client.GET('/api/jobs/{id}/checkpoints', { params: { path: { id: job.id } }, signal })),
  });
  const download = useMutation({
    mutationFn: (step: number) => unwrap(client.POST('/api/jobs/{id}/checkpoints/{step}/download', { params: { path: { id: job.id, step } } })),
    onSuccess: (answer) => {
      setLinks({ step: answer.step, links: answer.links });
      for (const l of answer.links) openLink(l.url, l.file_name);
    },
  });

  if (checkpoints.isPending) return <Skeleton rows={3} />;
  if (checkpoints.error) return <ProblemAlert error={checkpoints.error} title="Could not load the checkpoints" />;
  const list = checkpoints.data.checkpoints;
  if (list.length === 0) {
    return (
      <EmptyState icon="◇" title="No checkpoints yet">
        The cluster saves one every few steps and when the job is paused; a preempted job restarts from its latest one.
      </EmptyState>
    );
  }

  return (
    <Card title="Checkpoints" description="Adapters saved during training: each one is a complete LoRA adapter you can download and try." headingLevel={3} testId="checkpoints-card">
      <ProblemAlert error={download.error} title="No download links" />
      <table className="table" data-testid="checkpoints-table">
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Epoch</th>
            <th scope="col">Saved</th>
            <th scope="col">Training loss</th>
            <th scope="col">Validation loss</th>
            <th scope="col">Attempt</th>
            <th scope="col"><span className="visually-hidden">Download</span></th>
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.step} data-testid="checkpoint-row">
              <td>{formatInt(c.step)}</td>
              <td>{c.epoch}</td>
              <td>{formatDateTime(c.created_at)}</td>
              <td>{formatFixed(c.training_loss, 4)}</td>
              <td>{formatFixed(c.validation_loss, 4)}</td>
              <td>{c.attempt}</td>
              <td>
                <button type="button" className="button button--small" disabled={download.isPending} onClick={() => download.mutate(c.step)}
                  aria-label={`Download the adapter of the checkpoint at step ${c.step}`}>
                  Download
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {download.isPending && <Spinner label="Fetching the checkpoint's files…" />}
      {links && (
        <p className="small" data-testid="checkpoint-links">
          Step {links.step}:{' '}
          {links.links.map((l) => (
            <a key={l.file_name} href={l.url} download={l.file_name} data-sha256={l.sha256} className="checkpoint-link">{l.file_name} </a>
          ))}
        </p>
      )}
    </Card>
  );
}
