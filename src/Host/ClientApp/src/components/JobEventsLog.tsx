import { useQuery } from '@tanstack/react-query';
import { client, unwrap } from '../lib/api';
import { formatTime } from '../lib/format';
import type { JobEvent, JobLogLine, TrainingJob } from '../lib/types';
import { Card, EmptyState, ProblemAlert, Skeleton } from './ui';

// the server writes one of these three levels (the document has `level` as a string)
const levelNames: Partial<Record<string, string>> = { info: 'Info', warn: 'Warning', error: 'Error' };

interface LogEntry extends JobLogLine {
  key: string;
  at: string;
}

/**
 * The job's log as sentences with levels, newest first: the server's one rule for it (the `log` of each event of
 * GET /api/jobs/{id}/events, the same lines the OpenAI-compatible events give), read again while the job runs.
 */
export function JobEventsLog({ job }: { job: TrainingJob }) {
  const events = useQuery<{ job_id: string; events: JobEvent[] }>({
    // read again at each change of status (the end above all) and checkpoint, and every few seconds while it runs
    queryKey: ['job-events', job.id, 'log', job.status, job.checkpoint_count, job.artifact_id],
    placeholderData: (previous) => previous,
    queryFn: ({ signal }) => unwrap(client.GET('/api/jobs/{id}/events', { params: { path: { id: job.id } }, signal })) as Promise<{ job_id: string; events: JobEvent[] }>,
    refetchInterval: job.is_active ? 3000 : false,
  });
  if (events.isPending) return <Skeleton rows={3} />;
  if (events.error) return <ProblemAlert error={events.error} title="Could not load the events" />;
  const entries: LogEntry[] = events.data.events
    .flatMap((e) => (e.log ?? []).map((line, i) => ({ ...line, key: `${e.version}-${i}`, at: e.timestamp })))
    .reverse();
  const warnings = entries.filter((e) => e.level !== 'info').length;
  return (
    <Card
      title="Events"
      description={`What happened, newest first${warnings > 0 ? ` · ${warnings} warning${warnings === 1 ? '' : 's'} or error${warnings === 1 ? '' : 's'}` : ''}.`}
      headingLevel={2}
      testId="events-log"
    >
      {entries.length === 0 ? (
        <EmptyState title="No events yet" />
      ) : (
        <ol className="event-log" data-testid="event-lines" tabIndex={0} aria-label="Job events, newest first">
          {entries.map((entry) => (
            <li key={entry.key} className={`event-log__line event-log__line--${entry.level}`} data-testid="event-line" data-level={entry.level}>
              <time className="event-log__time" dateTime={entry.at}>{formatTime(entry.at)}</time>
              <span className={`event-log__level event-log__level--${entry.level}`}>{levelNames[entry.level] ?? entry.level}</span>
              <span className="event-log__message">{entry.message}</span>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
