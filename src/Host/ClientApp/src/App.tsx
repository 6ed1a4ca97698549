import { lazy, useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { session } from './lib/session';
import { Layout } from './components/Layout';
import { SignInPage } from './pages/SignInPage';

// pages load on first visit; the charts library only comes with the pages that draw charts
const DatasetsPage = lazy(() => import('./pages/DatasetsPage').then((m) => ({ default: m.DatasetsPage })));
const DatasetDetailPage = lazy(() => import('./pages/DatasetDetailPage').then((m) => ({ default: m.DatasetDetailPage })));
const ConfigurePage = lazy(() => import('./pages/ConfigurePage').then((m) => ({ default: m.ConfigurePage })));
const JobsPage = lazy(() => import('./pages/JobsPage').then((m) => ({ default: m.JobsPage })));
const JobMonitorPage = lazy(() => import('./pages/JobMonitorPage').then((m) => ({ default: m.JobMonitorPage })));
const ModelsPage = lazy(() => import('./pages/ModelsPage').then((m) => ({ default: m.ModelsPage })));
const ModelDetailPage = lazy(() => import('./pages/ModelDetailPage').then((m) => ({ default: m.ModelDetailPage })));
const CostsPage = lazy(() => import('./pages/CostsPage').then((m) => ({ default: m.CostsPage })));
const WebhooksPage = lazy(() => import('./pages/WebhooksPage').then((m) => ({ default: m.WebhooksPage })));
const NotFoundPage = lazy(() => import('./pages/NotFoundPage').then((m) => ({ default: m.NotFoundPage })));

/** A 401 anywhere ends the session: caches go, sign-in shows, and we come back here after. */
function SessionWatcher() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  useEffect(
    () =>
      session.subscribe((reason) => {
        if (reason !== 'expired') return;
        queryClient.clear();
        const next = location.pathname + location.search;
        navigate(`/sign-in?next=${encodeURIComponent(next)}`, { replace: true, state: { reason } });
      }),
    [navigate, location, queryClient],
  );
  return null;
}

function RequireKey({ children }: { children: React.ReactNode }) {
  const location = useLocation();
  if (!session.key()) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function App() {
  return (
    <BrowserRouter>
      <SessionWatcher />
      <Routes>
        <Route path="/sign-in" element={<SignInPage />} />
        <Route
          element={
            <RequireKey>
              <Layout />
            </RequireKey>
          }
        >
          <Route index element={<Navigate to="/datasets" replace />} />
          <Route path="datasets" element={<DatasetsPage />} />
          <Route path="datasets/:id" element={<DatasetDetailPage />} />
          <Route path="training" element={<Navigate to="/training/jobs" replace />} />
          <Route path="training/configure" element={<ConfigurePage />} />
          <Route path="training/jobs" element={<JobsPage />} />
          <Route path="training/jobs/:id" element={<JobMonitorPage />} />
          <Route path="models" element={<ModelsPage />} />
          <Route path="models/:id" element={<ModelDetailPage />} />
          <Route path="costs" element={<CostsPage />} />
          <Route path="webhooks" element={<WebhooksPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
