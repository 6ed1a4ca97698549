import { useEffect, useId, useRef, useState, type ReactNode, type KeyboardEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, isApiError, type ProblemDetails } from '../lib/api';
import { titleCase } from '../lib/format';
import type { Pagination as PageInfo } from '../lib/types';

export function PageHeader({ title, subtitle, actions, back }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; back?: { to: string; label: string } }) {
  return (
    <header className="page-header">
      <div className="page-header__text">
        {back && (
          <Link className="back-link" to={back.to}>
            <span aria-hidden="true">←</span> <span className="visually-hidden">Back to </span>{back.label}
          </Link>
        )}
        <h1>{title}</h1>
        {subtitle && <p className="page-header__subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-header__actions">{actions}</div>}
    </header>
  );
}

export function Card({ title, description, actions, children, className, headingLevel = 2, id, testId }: {
  title?: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
  className?: string;
  headingLevel?: 2 | 3;
  id?: string;
  testId?: string;
}) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const titleId = useId();
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={title ? titleId : undefined} id={id} data-testid={testId}>
      {(title || actions) && (
        <div className="card__header">
          <div>
            {title && <Heading className="card__title" id={titleId}>{title}</Heading>}
            {description && <p className="card__description">{description}</p>}
          </div>
          {actions && <div className="card__actions">{actions}</div>}
        </div>
      )}
      {children}
    </section>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner-wrap">
      <span className="spinner" aria-hidden="true" />
      {label && <span>{label}</span>}
    </span>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <Spinner label={label} />
    </div>
  );
}

export function Skeleton({ rows = 3 }: { rows?: number }) {
  return (
    <div className="skeleton-group" role="status" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" />
      ))}
    </div>
  );
}

export function EmptyState({ icon, title, children, action }: { icon?: ReactNode; title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      {icon && <div className="empty-state__icon" aria-hidden="true">{icon}</div>}
      <h2 className="empty-state__title">{title}</h2>
      {children && <p className="empty-state__text">{children}</p>}
      {action && <div className="empty-state__action">{action}</div>}
    </div>
  );
}

function DetailsView({ details }: { details: ProblemDetails }) {
  if (details === null || details === undefined || details === '') return null;
  if (typeof details === 'string') return <p className="alert__details">{details}</p>;
  if (Array.isArray(details)) {
    return (
      <ul className="alert__list">
        {details.map((d, i) => (
          <li key={i}>{typeof d === 'string' ? d : JSON.stringify(d)}</li>
        ))}
      </ul>
    );
  }
  const entries = Object.entries(details);
  if (entries.length === 0) return null;
  return (
    <ul className="alert__list">
      {entries.map(([field, value]) => (
        <li key={field}>
          <strong>{field}</strong>{' '}
          {Array.isArray(value) ? value.join('; ') : typeof value === 'object' ? JSON.stringify(value) : String(value)}
        </li>
      ))}
    </ul>
  );
}

/** An error as the API explains it: the problem's `error` as the title, its `details` below. */
export function ProblemAlert({ error, title, action, className }: { error: unknown; title?: string; action?: ReactNode; className?: string }) {
  if (!error) return null;
  let heading = title;
  let details: ProblemDetails = null;
  if (error instanceof ApiError) {
    heading = heading ? `${heading}: ${error.message}` : error.message;
    details = error.details;
  } else if (error instanceof Error) {
    heading = heading ?? 'Something went wrong';
    details = error.message;
  } else {
    heading = heading ?? 'Something went wrong';
    details = String(error);
  }
  return (
    <div className={`alert alert--error ${className ?? ''}`} role="alert">
      <div className="alert__icon" aria-hidden="true">!</div>
      <div className="alert__body">
        <p className="alert__title">{heading}</p>
        <DetailsView details={details} />
        {action && <div className="alert__action">{action}</div>}
      </div>
    </div>
  );
}

export function Notice({ tone = 'info', title, children, role }: { tone?: 'info' | 'warning' | 'success'; title?: ReactNode; children?: ReactNode; role?: 'status' | 'alert' }) {
  return (
    <div className={`alert alert--${tone}`} role={role}>
      <div className="alert__icon" aria-hidden="true">{tone === 'success' ? '✓' : tone === 'warning' ? '!' : 'i'}</div>
      <div className="alert__body">
        {title && <p className="alert__title">{title}</p>}
        {children && <div className="alert__details">{children}</div>}
      </div>
    </div>
  );
}

/** The resource is gone (404) versus any other failure, for detail pages. */
export function LoadError({ error, what, back }: { error: unknown; what: string; back: { to: string; label: string } }) {
  const notFound = isApiError(error, 404);
  return (
    <ProblemAlert
      error={error}
      title={notFound ? `${what} not found` : `Could not load the ${what.toLowerCase()}`}
      action={<Link className="button button--secondary button--small" to={back.to}>{back.label}</Link>}
    />
  );
}

const statusLabels: Record<string, string> = {
  queued: 'Queued',
  initializing: 'Initializing',
  running: 'Running',
  paused: 'Paused',
  recovering: 'Recovering',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  uploading: 'Uploading',
  validating: 'Validating',
  ready: 'Ready',
  error: 'Error',
  stored: 'Stored',
  collecting: 'Collecting',
};

export function StatusBadge({ status, className }: { status: string; className?: string }) {
  return (
    <span className={`badge badge--${status} ${className ?? ''}`} data-status={status}>
      <span className="badge__dot" aria-hidden="true" />
      {statusLabels[status] ?? titleCase(status)}
    </span>
  );
}

export function ProgressBar({ value, label, showValue = true, tone }: { value: number | null; label: string; showValue?: boolean; tone?: 'success' | 'warning' | 'danger' }) {
  const clamped = value === null ? null : Math.max(0, Math.min(100, value));
  return (
    <div className="progress">
      <div
        className={`progress__track ${tone ? `progress__track--${tone}` : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={clamped === null ? undefined : Math.round(clamped * 10) / 10}
      >
        <div className={`progress__fill ${clamped === null ? 'progress__fill--indeterminate' : ''}`} style={{ width: clamped === null ? undefined : `${clamped}%` }} />
      </div>
      {showValue && clamped !== null && <span className="progress__value">{clamped.toFixed(clamped >= 100 || clamped === 0 ? 0 : 1)}%</span>}
    </div>
  );
}

export function Pagination({ pagination, onPage, label }: { pagination: PageInfo | undefined; onPage: (page: number) => void; label: string }) {
  if (!pagination || pagination.total_pages <= 1) return null;
  const { page, total_pages: pages, total } = pagination;
  return (
    <nav className="pagination" aria-label={label}>
      <button type="button" className="button button--secondary button--small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        <span aria-hidden="true">←</span> Previous
      </button>
      <span className="pagination__info">
        Page {page} of {pages} <span className="muted">({total} in all)</span>
      </span>
      <button type="button" className="button button--secondary button--small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next <span aria-hidden="true">→</span>
      </button>
    </nav>
  );
}

export function Stat({ label, value, hint, tone, testId }: { label: string; value: ReactNode; hint?: ReactNode; tone?: string; testId?: string }) {
  return (
    <div className={`stat ${tone ? `stat--${tone}` : ''}`} data-testid={testId}>
      <div className="stat__label">{label}</div>
      <div className="stat__value">{value}</div>
      {hint && <div className="stat__hint">{hint}</div>}
    </div>
  );
}

export function Stars({ score, size = 'md' }: { score: number | null | undefined; size?: 'sm' | 'md' }) {
  const value = typeof score === 'number' ? Math.max(0, Math.min(5, Math.round(score))) : 0;
  return (
    <span className={`stars stars--${size}`} role="img" aria-label={typeof score === 'number' ? `Quality ${value} of 5 stars` : 'Quality not scored'}>
      {Array.from({ length: 5 }, (_, i) => (
        <span key={i} className={i < value ? 'star star--on' : 'star'} aria-hidden="true">★</span>
      ))}
    </span>
  );
}

export function DefinitionList({ items, columns = 2 }: { items: [string, ReactNode][]; columns?: 1 | 2 | 3 }) {
  return (
    <dl className={`deflist deflist--${columns}`}>
      {items.map(([term, value]) => (
        <div className="deflist__item" key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * A modal confirmation on the native <dialog>: focus moves into it and stays there, Escape
 * closes it, and focus returns to what opened it.
 */
export function ConfirmDialog({ open, title, children, confirmLabel, cancelLabel = 'Keep it', danger, busy, onConfirm, onClose, error }: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    }
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id={titleId} className="dialog__title">{title}</h2>
      <div id={bodyId} className="dialog__body">{children}</div>
      {error ? <ProblemAlert error={error} /> : null}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} disabled={busy} data-autofocus>
          {cancelLabel}
        </button>
        <button type="button" className={`button ${danger ? 'button--danger' : 'button--primary'}`} onClick={onConfirm} disabled={busy}>
          {busy ? <Spinner label="Working…" /> : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export interface TabDef {
  id: string;
  label: string;
  content: ReactNode;
}

/** WAI-ARIA tabs: arrow keys move between tabs, Home/End jump. */
export function Tabs({ tabs, label, initial }: { tabs: TabDef[]; label: string; initial?: string }) {
  const [active, setActive] = useState(initial ?? tabs[0]?.id);
  const base = useId();
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const index = Math.max(0, tabs.findIndex((t) => t.id === active));

  const onKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    let next = -1;
    if (e.key === 'ArrowRight') next = (index + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') next = (index - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = tabs.length - 1;
    if (next >= 0) {
      e.preventDefault();
      setActive(tabs[next].id);
      refs.current[next]?.focus();
    }
  };

  return (
    <div className="tabs">
      <div className="tabs__list" role="tablist" aria-label={label}>
        {tabs.map((tab, i) => (
          <button
            key={tab.id}
            ref={(el) => {
              refs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`${base}-tab-${tab.id}`}
            aria-selected={i === index}
            aria-controls={`${base}-panel-${tab.id}`}
            tabIndex={i === index ? 0 : -1}
            className={`tabs__tab ${i === index ? 'tabs__tab--active' : ''}`}
            onClick={() => setActive(tab.id)}
            onKeyDown={onKey}
          >
            {tab.label}
          </button>
        ))}
      </div>
      {tabs.map((tab, i) => (
        <div
          key={tab.id}
          role="tabpanel"
          id={`${base}-panel-${tab.id}`}
          aria-labelledby={`${base}-tab-${tab.id}`}
          hidden={i !== index}
          tabIndex={0}
          className="tabs__panel"
        >
          {i === index && tab.content}
        </div>
      ))}
    </div>
  );
}

export function Field({ label, htmlFor, hint, children, error }: { label: ReactNode; htmlFor: string; hint?: ReactNode; children: ReactNode; error?: string | null }) {
  const hintId = `${htmlFor}-hint`;
  return (
    <div className={`field ${error ? 'field--invalid' : ''}`}>
      <label className="field__label" htmlFor={htmlFor}>{label}</label>
      {children}
      {hint && <p className="field__hint" id={hintId}>{hint}</p>}
      {error && <p className="field__error" role="alert">{error}</p>}
    </div>
  );
}
