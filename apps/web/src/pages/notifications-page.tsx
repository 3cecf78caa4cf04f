import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import { keys, useNotifications } from '../api/queries.ts';
import { EmptyState, ErrorNotice, QueryState } from '../components/feedback.tsx';
import { PageHead } from '../components/page-head.tsx';
import { when } from '../lib/format.ts';

/** Everything that happened to the user's orders, newest first; unread ones can be marked read. */
export function NotificationsPage() {
  const queryClient = useQueryClient();
  const notifications = useNotifications();
  const markRead = useMutation({
    mutationFn: (ids: string[]) => Promise.all(ids.map((id) => api.notifications.markRead(id))),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.notifications }),
  });
  const unreadIds = (notifications.data?.items ?? []).filter((n) => !n.read).map((n) => n.id);

  return (
    <>
      <PageHead
        title="Notifications"
        subtitle={notifications.data ? `${notifications.data.unread} unread` : ' '}
        actions={
          unreadIds.length > 0 && (
            <button
              type="button"
              className="button button--secondary"
              onClick={() => markRead.mutate(unreadIds)}
              disabled={markRead.isPending}
            >
              Mark all as read
            </button>
          )
        }
      />
      <ErrorNotice error={markRead.error} />
      <QueryState query={notifications} loading="Loading notifications…">
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState title="You are all caught up" icon="🔔">
              <p>Updates about your orders and deliveries will appear here.</p>
            </EmptyState>
          ) : (
            <ul className="notifications" aria-label="Notifications">
              {items.map((n) => (
                <li key={n.id} className={n.read ? 'notification' : 'notification notification--unread'}>
                  <span className="notification__dot" aria-hidden="true" />
                  <div className="notification__body">
                    <p className="notification__text">
                      {!n.read && <span className="visually-hidden">Unread: </span>}
                      {n.text}
                    </p>
                    <p className="muted small">
                      <time dateTime={n.at}>{when(n.at)}</time>
                      {n.orderId && (
                        <>
                          {' · '}
                          <Link to={`/orders/${n.orderId}`}>View order</Link>
                        </>
                      )}
                    </p>
                  </div>
                  {!n.read && (
                    <button
                      type="button"
                      className="button button--ghost button--small"
                      onClick={() => markRead.mutate([n.id])}
                      disabled={markRead.isPending}
                      aria-label={`Mark as read: ${n.text}`}
                    >
                      Mark as read
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </>
  );
}
