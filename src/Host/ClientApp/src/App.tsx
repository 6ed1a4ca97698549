import { useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { session } from './lib/session';
import { Layout } from './components/Layout';
import { SignInPage } from './pages/SignInPage';
import { DatasetsPage } from './pages/DatasetsPage';
import { DatasetDetailPage } from './pages/DatasetDetailPage';
import { ConfigurePage } from './pages/ConfigurePage';
import { JobsPage } from './pages/JobsPage';
import { JobMonitorPage } from './pages/JobMonitorPage';
import { ModelsPage } from './pages/ModelsPage';
import { ModelDetailPage } from './pages/ModelDetailPage';
import { CostsPage } from './pages/CostsPage';
import { NotFoundPage } from './pages/NotFoundPage';

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
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
