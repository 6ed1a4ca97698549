import { useId, useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { ApiError, request } from '../lib/api';
import { useDocumentTitle } from '../lib/hooks';
import { session } from '../lib/session';
import type { Me } from '../lib/types';
import { Notice, ProblemAlert, Spinner } from '../components/ui';

interface DemoKey {
  key: string;
  user_name: string;
}

/** Only paths of this app, never another site, after signing in. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/datasets';
}

export function SignInPage() {
  useDocumentTitle('Sign in');
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const [key, setKey] = useState('');
  const [reveal, setReveal] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inputId = useId();
  const hintId = useId();
  // several requests may see the 401 at once; whichever redirect wins, the reason is kept
  const reason = (location.state as { reason?: string } | null)?.reason ?? session.lastEnd();

  // Development only: the server offers the demo account's key (404 elsewhere: no button).
  const demo = useQuery({
    queryKey: ['demo-key'],
    queryFn: () => request<DemoKey>('/api/dev/demo-key', { key: null, keepSessionOn401: true }),
    retry: false,
    staleTime: Infinity,
  });

  if (session.key()) return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const candidate = key.trim();
    if (!candidate) {
      setError(new ApiError({ status: 0, error: 'Enter your API key', details: "It looks like lp_<key id>_<secret>; create one with './run.sh users create <name>'." }));
      return;
    }
    void signInWith(candidate);
  };

  // the key is checked against /api/me before it is kept: a typed one, or the demo key at one click
  const signInWith = async (candidate: string) => {
    setBusy(true);
    setError(null);
    try {
      const me = await request<Me>('/api/me', { key: candidate, keepSessionOn401: true });
      session.signIn(candidate, me.name);
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setError(new ApiError({ ...err.problem, error: 'That API key was not accepted' }));
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <div className="signin__card">
        <div className="signin__brand">
          <svg viewBox="0 0 32 32" width="40" height="40" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="8" fill="#4338ca" />
            <path d="M9 8v16h14" fill="none" stroke="#fff" strokeWidth="3.5" strokeLinecap="round" strokeLinejoin="round" />
            <circle cx="21" cy="11" r="3" fill="#a5b4fc" />
          </svg>
          <div>
            <h1 className="signin__title">Sign in to LoraPipeline</h1>
            <p className="muted">From a JSONL chat dataset to a trained LoRA adapter, with the cost visible at every step.</p>
          </div>
        </div>

        {reason === 'expired' && (
          <Notice tone="warning" title="Your session ended" role="status">
            The API key was not accepted any more. Sign in again.
          </Notice>
        )}
        {reason === 'signed-out' && <Notice tone="info" title="You signed out" role="status" />}

        <form onSubmit={submit} noValidate className="stack">
          <div className="field">
            <label className="field__label" htmlFor={inputId}>API key</label>
            <div className="input-group">
              <input
                id={inputId}
                className="input input--mono"
                type={reveal ? 'text' : 'password'}
                autoComplete="off"
                spellCheck={false}
                placeholder="lp_…"
                value={key}
                onChange={(e) => setKey(e.target.value)}
                aria-describedby={hintId}
                aria-invalid={error ? true : undefined}
              />
              <button type="button" className="button button--secondary" onClick={() => setReveal((r) => !r)} aria-pressed={reveal}>
                {reveal ? 'Hide' : 'Show'}
              </button>
            </div>
            <p className="field__hint" id={hintId}>
              Your key is kept only in this browser tab and sent as a bearer token.
            </p>
          </div>

          <ProblemAlert error={error} />

          <div className="signin__actions">
            <button type="submit" className="button button--primary button--block" disabled={busy}>
              {busy ? <Spinner label="Checking…" /> : 'Sign in'}
            </button>
            {demo.data && (
              <button
                type="button"
                className="button button--secondary button--block"
                disabled={busy}
                onClick={() => {
                  setKey(demo.data.key);
                  void signInWith(demo.data.key);
                }}
              >
                Use demo key
              </button>
            )}
          </div>
          {demo.data && (
            <p className="field__hint">Development server: the demo key signs you in as “{demo.data.user_name}”.</p>
          )}
        </form>
      </div>
    </main>
  );
}
