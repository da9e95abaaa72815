// Providers and routes (the Metrics page lives at /explore: the server answers /metrics itself
// with its Prometheus exposition); every page is code-split (React.lazy) and has its own error boundary.
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Route, Routes } from 'react-router';
import { ApiError } from '../api/errors';
import { RouteBoundary } from '../components/route-boundary';
import { AuthGate } from '../features/auth/auth-gate';
import { Layout } from './layout';

function page<K extends string>(
  load: () => Promise<Record<K, ComponentType>>,
  name: K,
): LazyExoticComponent<ComponentType> {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}

const OverviewPage = page(() => import('../features/overview/overview-page'), 'OverviewPage');
const IncidentsPage = page(() => import('../features/incidents/incidents-page'), 'IncidentsPage');
const SelfHealingPage = page(
  () => import('../features/self-healing/self-healing-page'),
  'SelfHealingPage',
);
const SecurityPage = page(() => import('../features/security/security-page'), 'SecurityPage');
const CostPage = page(() => import('../features/cost/cost-page'), 'CostPage');
const CicdPage = page(() => import('../features/cicd/cicd-page'), 'CicdPage');
const DocsPage = page(() => import('../features/docs/docs-page'), 'DocsPage');
const LogsPage = page(() => import('../features/logs/logs-page'), 'LogsPage');
const NotificationsPage = page(
  () => import('../features/notifications/notifications-page'),
  'NotificationsPage',
);
const AssistantPage = page(() => import('../features/assistant/assistant-page'), 'AssistantPage');
const MetricsPage = page(() => import('../features/metrics/metrics-page'), 'MetricsPage');
const SettingsPage = page(() => import('../features/settings/settings-page'), 'SettingsPage');

const kRoutes: [string, string, LazyExoticComponent<ComponentType>][] = [
  ['incidents', 'Incidents', IncidentsPage],
  ['self-healing', 'Self-Healing', SelfHealingPage],
  ['security', 'Security', SecurityPage],
  ['cost', 'Cost', CostPage],
  ['cicd', 'CI/CD', CicdPage],
  ['docs', 'Docs', DocsPage],
  ['explore', 'Metrics', MetricsPage],
  ['logs', 'Logs', LogsPage],
  ['notifications', 'Notifications', NotificationsPage],
  ['assistant', 'Assistant', AssistantPage],
  ['settings', 'Settings', SettingsPage],
];

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        // Client errors and 501 are answers, not glitches: do not retry them.
        retry: (count, err) =>
          count < 2 && !(err instanceof ApiError && err.httpStatus >= 400 && err.httpStatus < 600),
        refetchOnWindowFocus: true,
      },
    },
  });
}

export function App({ client = makeQueryClient() }: { client?: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <AuthGate>
          <Routes>
            <Route element={<Layout />}>
              <Route
                index
                element={
                  <RouteBoundary name="Overview">
                    <OverviewPage />
                  </RouteBoundary>
                }
              />
              {kRoutes.map(([path, name, Page]) => (
                <Route
                  key={path}
                  path={`${path}/*`}
                  element={
                    <RouteBoundary name={name}>
                      <Page />
                    </RouteBoundary>
                  }
                />
              ))}
              <Route
                path="*"
                element={<div className="state state-empty">No page at this address.</div>}
              />
            </Route>
          </Routes>
        </AuthGate>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
