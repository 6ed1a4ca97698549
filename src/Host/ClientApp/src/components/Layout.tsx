import { Suspense, useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { session } from '../lib/session';
import { NotificationBell } from './NotificationBell';
import { Loading } from './ui';

const links = [
  { to: '/datasets', label: 'Datasets' },
  { to: '/training/configure', label: 'Configure' },
  { to: '/training/jobs', label: 'Jobs' },
  { to: '/models', label: 'Models' },
  { to: '/costs', label: 'Costs' },
  { to: '/webhooks', label: 'Webhooks' },
];

export function Layout() {
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const userName = session.userName();

  useEffect(() => setMenuOpen(false), [location.pathname]);

  // a new page starts at its top, and screen readers start reading there too
  const firstPage = useRef(true);
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [location.pathname]);

  const signOut = () => {
    session.end('signed-out');
    queryClient.clear();
    navigate('/sign-in', { replace: true, state: { reason: 'signed-out' } });
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <div className="topbar__inner">
          <NavLink to="/datasets" className="brand" aria-label="LoraPipeline home">
            <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
              <rect width="32" height="32" rx="8" fill="#4338ca" />
              <path d="M9 8v16h14" fill="none" stroke="#fff" strokeWidth="3.5" strokeLinecap="round" strokeLinejoin="round" />
              <circle cx="21" cy="11" r="3" fill="#a5b4fc" />
            </svg>
            <span className="brand__name">LoraPipeline</span>
          </NavLink>
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="primary-nav"
            onClick={() => setMenuOpen((o) => !o)}
          >
            <span className="visually-hidden">Menu</span>
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
              <path d={menuOpen ? 'M6 6l12 12M18 6L6 18' : 'M4 7h16M4 12h16M4 17h16'} stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
          <nav id="primary-nav" className={`nav ${menuOpen ? 'nav--open' : ''}`} aria-label="Main">
            <ul>
              {links.map((link) => (
                <li key={link.to}>
                  <NavLink to={link.to} className={({ isActive }) => `nav__link ${isActive ? 'nav__link--active' : ''}`}>
                    {link.label}
                  </NavLink>
                </li>
              ))}
            </ul>
            <div className="nav__account nav__account--menu">
              {userName && <span className="nav__user">Signed in as <strong>{userName}</strong></span>}
              <button type="button" className="button button--secondary button--small" onClick={signOut}>Sign out</button>
            </div>
          </nav>
          <div className="topbar__right">
            <NotificationBell />
            <div className="nav__account nav__account--bar">
              {userName && (
                <span className="nav__user" title={`Signed in as ${userName}`}>
                  <span className="avatar" aria-hidden="true">{userName.slice(0, 1).toUpperCase()}</span>
                  <span className="nav__user-name">{userName}</span>
                </span>
              )}
              <button type="button" className="button button--ghost button--small" onClick={signOut}>Sign out</button>
            </div>
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <Suspense fallback={<Loading label="Loading the page…" />}>
          <Outlet />
        </Suspense>
      </main>
      <footer className="footer">
        <span>LoraPipeline</span>
        <span aria-hidden="true">·</span>
        <a href="/scalar/">API reference</a>
      </footer>
    </div>
  );
}
