import { createBrowserRouter, Link, Navigate, useLocation } from 'react-router';
import { useMe } from './api/queries.ts';
import { AppShell } from './components/app-shell.tsx';
import { EmptyState, ErrorNotice, Loading } from './components/feedback.tsx';
import { consoleRoute } from './console/console-routes.tsx';
import { SignInPage, SignUpPage } from './pages/auth-pages.tsx';
import { MyOrdersPage } from './pages/my-orders-page.tsx';
import { NewOrderPage } from './pages/new-order-page.tsx';
import { NotificationsPage } from './pages/notifications-page.tsx';
import { OrderPage } from './pages/order-page.tsx';
import { ProfilePage } from './pages/profile-page.tsx';
import { AvailablePage, DeliveriesPage } from './pages/runner-pages.tsx';
import { WalletPage } from './pages/wallet-page.tsx';

/** Pages behind sign-in: without a session, go to sign-in and come back afterwards. */
function SignedIn() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return (
      <div className="boot">
        <title>CampusG</title>
        <Loading label="Loading CampusG…" />
      </div>
    );
  }
  if (me.error) {
    return (
      <div className="boot">
        <ErrorNotice error={me.error} />
      </div>
    );
  }
  if (!me.data) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <AppShell user={me.data} />;
}

function NotFound() {
  return (
    <EmptyState title="Page not found" icon="🧭">
      <title>Not found · CampusG</title>
      <Link to="/">Go to CampusG</Link>
    </EmptyState>
  );
}

export const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/sign-up', element: <SignUpPage /> },
  consoleRoute,
  {
    element: <SignedIn />,
    children: [
      { index: true, element: <Navigate to="/orders/new" replace /> },
      { path: 'orders/new', element: <NewOrderPage /> },
      { path: 'orders', element: <MyOrdersPage /> },
      { path: 'orders/:id', element: <OrderPage /> },
      { path: 'runner', element: <AvailablePage /> },
      { path: 'runner/deliveries', element: <DeliveriesPage /> },
      { path: 'wallet', element: <WalletPage /> },
      { path: 'notifications', element: <NotificationsPage /> },
      { path: 'profile', element: <ProfilePage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);
