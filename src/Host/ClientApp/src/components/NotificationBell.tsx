import { useEffect, useId, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { client, unwrap, isApiError } from '../lib/api';
import { formatRelative } from '../lib/format';
import type { Notification, NotificationList } from '../lib/types';
import { ProblemAlert, Spinner } from './ui';

const POLL_MS = 10_000;

/** App routes only: anything else (or a full URL to another site) is not followed. */
function appRoute(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url, window.location.origin);
    if (parsed.origin !== window.location.origin) return null;
    return parsed.pathname + parsed.search + parsed.hash;
  } catch {
    return null;
  }
}

export function useNotifications(unreadOnly: boolean) {
  return useQuery({
    queryKey: ['notifications', { unreadOnly }],
    queryFn: ({ signal }) => unwrap(client.GET('/api/notifications', { params: { query: { limit: 20, unread: unreadOnly || undefined } }, signal })) as Promise<NotificationList>,
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
    retry: (count, error) => !isApiError(error, 404) && count < 2,
  });
}

export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const panelId = useId();
  const headingId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const location = useLocation();
  const queryClient = useQueryClient();

  const all = useNotifications(false);
  const list = useNotifications(unreadOnly);
  const shown = unreadOnly ? list : all;
  const unread = all.data?.unread_count ?? 0;

  const invalidate = () => queryClient.invalidateQueries({ queryKey: ['notifications'] });
  const markRead = useMutation({
    mutationFn: (id: string) => unwrap(client.PATCH('/api/notifications/{id}/read', { params: { path: { id } } })),
    onSuccess: invalidate,
  });
  const markAll = useMutation({
    mutationFn: () => unwrap(client.POST('/api/notifications/read-all')),
    onSuccess: invalidate,
  });

  // close when the route changes (an entry was followed)
  useEffect(() => setOpen(false), [location.pathname]);

  useEffect(() => {
    if (!open) return;
    panelRef.current?.focus();
    const onPointer = (e: PointerEvent) => {
      if (wrapRef.current && !wrapRef.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const close = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };

  const notAvailable = isApiError(all.error, 404);
  const label = unread > 0 ? `Notifications, ${unread} unread` : 'Notifications';

  return (
    <div className="bell" ref={wrapRef}>
      <button
        ref={buttonRef}
        type="button"
        className="bell__button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
        data-testid="notification-bell"
      >
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
          <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" fill="currentColor" />
        </svg>
        {unread > 0 && (
          <span className="bell__count" data-testid="notification-count" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      <div
        ref={panelRef}
        id={panelId}
        className="bell__panel"
        role="region"
        aria-labelledby={headingId}
        hidden={!open}
        tabIndex={-1}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            close();
          }
        }}
      >
        <div className="bell__header">
          <h2 id={headingId} className="bell__title">Notifications</h2>
          <button
            type="button"
            className="button button--ghost button--small"
            onClick={() => markAll.mutate()}
            disabled={unread === 0 || markAll.isPending}
          >
            Mark all read
          </button>
        </div>
        <div className="bell__filters" role="group" aria-label="Which notifications">
          <button type="button" className={`chip ${!unreadOnly ? 'chip--active' : ''}`} aria-pressed={!unreadOnly} onClick={() => setUnreadOnly(false)}>
            All
          </button>
          <button type="button" className={`chip ${unreadOnly ? 'chip--active' : ''}`} aria-pressed={unreadOnly} onClick={() => setUnreadOnly(true)}>
            Unread{unread > 0 ? ` (${unread})` : ''}
          </button>
        </div>
        {markAll.error || markRead.error ? <ProblemAlert error={markAll.error ?? markRead.error} /> : null}
        {notAvailable ? (
          <p className="bell__empty">Notifications are not available on this server yet.</p>
        ) : shown.isPending ? (
          <div className="bell__empty"><Spinner label="Loading notifications…" /></div>
        ) : shown.error ? (
          <ProblemAlert error={shown.error} title="Could not load notifications" />
        ) : shown.data && shown.data.notifications.length === 0 ? (
          <p className="bell__empty">{unreadOnly ? 'Nothing unread. You are all caught up.' : 'No notifications yet. Training events will show up here.'}</p>
        ) : (
          <ul className="bell__list" aria-label="Notifications">
            {shown.data?.notifications.map((n) => (
              <NotificationItem key={n.id} notification={n} onRead={() => markRead.mutate(n.id)} onFollow={() => setOpen(false)} />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function NotificationItem({ notification: n, onRead, onFollow }: { notification: Notification; onRead: () => void; onFollow: () => void }) {
  const target = appRoute(n.action_url);
  const body = (
    <>
      <span className="notification__title">
        {!n.read && <span className="visually-hidden">Unread: </span>}
        {n.title}
      </span>
      <span className="notification__message">{n.message}</span>
      <span className="notification__meta">
        <span className={`priority priority--${n.priority}`}>{n.priority}</span>
        <time dateTime={n.created_at}>{formatRelative(n.created_at)}</time>
      </span>
    </>
  );
  return (
    <li className={`notification ${n.read ? '' : 'notification--unread'}`} data-testid="notification">
      {!n.read && <span className="notification__dot" aria-hidden="true" />}
      {target ? (
        <Link
          className="notification__link"
          to={target}
          onClick={() => {
            if (!n.read) onRead();
            onFollow();
          }}
        >
          {body}
        </Link>
      ) : (
        <div className="notification__link">{body}</div>
      )}
      {!n.read && (
        <button type="button" className="button button--ghost button--small notification__read" onClick={onRead}>
          Mark read<span className="visually-hidden">: {n.title}</span>
        </button>
      )}
    </li>
  );
}
