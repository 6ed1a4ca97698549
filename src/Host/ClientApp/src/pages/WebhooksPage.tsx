import { useId, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, request, unwrap } from '../lib/api';
import { formatDateTime } from '../lib/format';
import { useDocumentTitle } from '../lib/hooks';
import type { components } from '../lib/schema';
import { Card, EmptyState, Field, Notice, PageHeader, ProblemAlert, Skeleton, StatusBadge } from '../components/ui';

// The event types a webhook may ask for (src/Modules/Webhooks/README.md); none checked means all of them.
const EVENT_TYPES = [
  'job.queued', 'job.running', 'job.succeeded', 'job.failed', 'job.cancelled', 'job.paused', 'job.recovering',
  'model.ready', 'dataset.ready', 'dataset.failed', 'budget.warning', 'budget.exceeded',
];

type Webhook = components['schemas']['WebhookView'];

export function WebhooksPage() {
  useDocumentTitle('Webhooks');
  const webhooks = useQuery({ queryKey: ['webhooks'], queryFn: ({ signal }) => unwrap(client.GET('/api/webhooks', { signal })) });
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);

  return (
    <div className="page">
      <PageHeader title="Webhooks" subtitle="Tell your own systems when a job, a model, a dataset or your budget changes, signed by the Standard Webhooks scheme." />
      {secret && (
        <Notice tone="success" title="Copy the signing secret now" role="status">
          <p>It is shown only this once. Deliveries to {secret.url} are signed with it.</p>
          <code data-testid="webhook-secret">{secret.secret}</code>
        </Notice>
      )}
      <WebhookForm onSecret={setSecret} />
      <Card title="Your webhooks">
        {webhooks.isPending ? (
          <Skeleton rows={2} />
        ) : webhooks.error ? (
          <ProblemAlert error={webhooks.error} title="Could not load webhooks" />
        ) : webhooks.data.length === 0 ? (
          <EmptyState icon="↗" title="No webhooks yet">Add an endpoint above to be told when your jobs finish.</EmptyState>
        ) : (
          <ul className="rows" aria-label="Webhooks">
            {webhooks.data.map((w) => <WebhookRow key={w.id} webhook={w} onSecret={setSecret} />)}
          </ul>
        )}
      </Card>
    </div>
  );
}

function EventChoices({ value, onChange }: { value: string[]; onChange: (events: string[]) => void }) {
  return (
    <fieldset className="field">
      <legend className="field__label">Events (none checked: all of them)</legend>
      <div className="checkbox-grid">
        {EVENT_TYPES.map((type) => (
          <label key={type} className="checkbox">
            <input
              type="checkbox"
              checked={value.includes(type)}
              onChange={(e) => onChange(e.target.checked ? [...value, type] : value.filter((t) => t !== type))}
            />
            {type}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function WebhookForm({ onSecret }: { onSecret: (s: { url: string; secret: string }) => void }) {
  const queryClient = useQueryClient();
  const urlId = useId();
  const descriptionId = useId();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: () => unwrap(client.POST('/api/webhooks', { body: { url, description: description || undefined, events: events.length ? events : undefined } })),
    onSuccess: (created) => {
      onSecret({ url: created.webhook.url, secret: created.secret });
      setUrl('');
      setDescription('');
      setEvents([]);
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });

  return (
    <Card title="Add a webhook">
      <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <Field label="Endpoint URL" htmlFor={urlId} hint="https:// only; the platform POSTs signed JSON to it.">
          <input id={urlId} className="input" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://ci.example.com/hooks/lora" />
        </Field>
        <Field label="Description" htmlFor={descriptionId}>
          <input id={descriptionId} className="input" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
        </Field>
        <EventChoices value={events} onChange={setEvents} />
        {create.error && <ProblemAlert error={create.error} title="The webhook was not added" />}
        <button className="button button--primary" type="submit" disabled={create.isPending}>Add webhook</button>
      </form>
    </Card>
  );
}

function WebhookRow({ webhook, onSecret }: { webhook: Webhook; onSecret: (s: { url: string; secret: string }) => void }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [showDeliveries, setShowDeliveries] = useState(false);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    void queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', webhook.id] });
  };
  const test = useMutation({ mutationFn: () => unwrap(client.POST('/api/webhooks/{id}/test', { params: { path: { id: webhook.id } } })), onSuccess: () => { setShowDeliveries(true); refresh(); } });
  const rotate = useMutation({
    mutationFn: () => unwrap(client.POST('/api/webhooks/{id}/rotate-secret', { params: { path: { id: webhook.id } } })),
    onSuccess: (rotated) => { onSecret({ url: rotated.webhook.url, secret: rotated.secret }); refresh(); },
  });
  const toggle = useMutation({ mutationFn: () => unwrap(client.PATCH('/api/webhooks/{id}', { params: { path: { id: webhook.id } }, body: { enabled: !webhook.enabled } })), onSuccess: refresh });
  const remove = useMutation({ mutationFn: () => unwrap(client.DELETE('/api/webhooks/{id}', { params: { path: { id: webhook.id } } })), onSuccess: refresh });
  const failure = test.error ?? rotate.error ?? toggle.error ?? remove.error;

  return (
    <li className="row row--stacked" data-testid="webhook-row">
      <div className="row__main">
        <span className="row__title">{webhook.url}</span>
        <span className="row__sub">
          {webhook.events.length ? webhook.events.join(', ') : 'all events'}
          {webhook.description ? ` · ${webhook.description}` : ''} · added {formatDateTime(webhook.created_at)}
          {webhook.previous_secret_expires_at ? ` · previous secret valid until ${formatDateTime(webhook.previous_secret_expires_at)}` : ''}
        </span>
        {webhook.disabled_reason && <span className="row__sub">{webhook.disabled_reason}</span>}
      </div>
      <StatusBadge status={webhook.enabled ? 'enabled' : 'disabled'} />
      <div className="row__actions">
        <button className="button button--small" onClick={() => test.mutate()} disabled={!webhook.enabled || test.isPending}>Send test</button>
        <button className="button button--small" onClick={() => setEditing((e) => !e)}>{editing ? 'Close editor' : 'Edit'}</button>
        <button className="button button--small" onClick={() => setShowDeliveries((s) => !s)}>{showDeliveries ? 'Hide deliveries' : 'Deliveries'}</button>
        <button className="button button--small" onClick={() => rotate.mutate()} disabled={rotate.isPending}>Rotate secret</button>
        <button className="button button--small" onClick={() => toggle.mutate()}>{webhook.enabled ? 'Disable' : 'Enable'}</button>
        <button className="button button--small button--danger" onClick={() => remove.mutate()}>Delete</button>
      </div>
      {failure && <ProblemAlert error={failure} title="That did not work" />}
      {editing && <EditWebhook webhook={webhook} onDone={() => { setEditing(false); refresh(); }} />}
      {showDeliveries && <Deliveries webhookId={webhook.id} />}
    </li>
  );
}

function EditWebhook({ webhook, onDone }: { webhook: Webhook; onDone: () => void }) {
  const urlId = useId();
  const [url, setUrl] = useState(webhook.url);
  const [events, setEvents] = useState(webhook.events);
  const save = useMutation({ mutationFn: () => unwrap(client.PATCH('/api/webhooks/{id}', { params: { path: { id: webhook.id } }, body: { url, events: events.length ? events : ['*'] } })), onSuccess: onDone });
  return (
    <form className="row__editor" onSubmit={(e) => { e.preventDefault(); save.mutate(); }} aria-label={`Edit ${webhook.url}`}>
      <Field label="Endpoint URL" htmlFor={urlId}>
        <input id={urlId} className="input" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} />
      </Field>
      <EventChoices value={events} onChange={setEvents} />
      {save.error && <ProblemAlert error={save.error} title="The webhook was not changed" />}
      <button className="button button--primary button--small" type="submit" disabled={save.isPending}>Save</button>
    </form>
  );
}

function Deliveries({ webhookId }: { webhookId: string }) {
  const queryClient = useQueryClient();
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', webhookId],
    queryFn: ({ signal }) => unwrap(client.GET('/api/webhooks/{id}/deliveries', { params: { path: { id: webhookId }, query: { limit: 20 } }, signal })),
    refetchInterval: (q) => (q.state.data?.deliveries.some((d) => d.status === 'pending') ? 1000 : 5000),
  });
  const retry = useMutation({
    mutationFn: (id: string) => request(`/api/webhooks/${webhookId}/deliveries/${id}/retry`, { method: 'POST', body: {} }) /* the document describes no answer for it */,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', webhookId] }),
  });

  if (deliveries.isPending) return <Skeleton rows={2} />;
  if (deliveries.error) return <ProblemAlert error={deliveries.error} title="Could not load deliveries" />;
  if (deliveries.data.deliveries.length === 0) return <p className="muted">No deliveries yet: send a test, or wait for your next job.</p>;
  return (
    <table className="table" aria-label="Deliveries">
      <thead>
        <tr><th>Event</th><th>Status</th><th>Attempts</th><th>Answer</th><th>Time</th><th>When</th><th /></tr>
      </thead>
      <tbody>
        {deliveries.data.deliveries.map((d) => (
          <tr key={d.id} data-testid="delivery-row">
            <td>{d.event_type}</td>
            <td><StatusBadge status={d.status} /></td>
            <td>{d.attempts}</td>
            <td title={d.response_excerpt ?? undefined}>{d.response_code ?? '—'}{d.error ? ` · ${d.error}` : ''}</td>
            <td>{d.duration_ms === null ? '—' : `${d.duration_ms} ms`}</td>
            <td>{formatDateTime(d.created_at)}{d.next_attempt_at ? ` · next try ${formatDateTime(d.next_attempt_at)}` : ''}</td>
            <td>
              {(d.status === 'failed' || d.status === 'cancelled') && (
                <button className="button button--small" onClick={() => retry.mutate(d.id)} disabled={retry.isPending}>Retry</button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
