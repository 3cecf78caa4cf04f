import { Navigate, type RouteObject } from 'react-router';
import { ConsoleApp } from './console-app.tsx';
import { AnalyticsPage } from './pages/analytics-page.tsx';
import { DeadLettersPage } from './pages/dead-letters-page.tsx';
import { HealthPage } from './pages/health-page.tsx';
import { LagPage } from './pages/lag-page.tsx';
import { SagaPage } from './pages/saga-page.tsx';
import { SagasPage } from './pages/sagas-page.tsx';
import { TopicsPage } from './pages/topics-page.tsx';
import { TracePage } from './pages/trace-page.tsx';

/** The operator console at /console: its own frame and token, apart from the customers' pages. */
export const consoleRoute: RouteObject = {
  path: '/console',
  element: <ConsoleApp />,
  children: [
    { index: true, element: <Navigate to="/console/sagas" replace /> },
    { path: 'sagas', element: <SagasPage /> },
    { path: 'sagas/:id', element: <SagaPage /> },
    { path: 'trace', element: <TracePage /> },
    { path: 'trace/:orderId', element: <TracePage /> },
    { path: 'dead-letters', element: <DeadLettersPage /> },
    { path: 'lag', element: <LagPage /> },
    { path: 'topics', element: <TopicsPage /> },
    { path: 'health', element: <HealthPage /> },
    { path: 'analytics', element: <AnalyticsPage /> },
  ],
};
