import type { Order } from '@campusg/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { keys, useActiveDeliveries, useAvailablePages, useOrderPages, useSaga } from '../api/queries.ts';
import { Countdown } from '../components/countdown.tsx';
import { EmptyState, ErrorNotice, Loading, Notice, QueryState } from '../components/feedback.tsx';
import { MoreButton } from '../components/more-button.tsx';
import { OrderRow } from '../components/order-parts.tsx';
import { PageHead } from '../components/page-head.tsx';
import { RunnerAction } from '../components/runner-action.tsx';
import { money } from '../lib/format.ts';
import { isRunner, useUser } from '../session.ts';

/** Runner pages need the runner role; others are told how to get it. */
function RunnerOnly({ children }: { children: React.ReactNode }) {
  const user = useUser();
  if (isRunner(user)) return <>{children}</>;
  return (
    <EmptyState title="This page is for runners" icon="🛵">
      <p>Runners deliver orders to fellow students and are paid for each one.</p>
      <Link to="/profile" className="button">
        Become a runner
      </Link>
    </EmptyState>
  );
}

/** Orders kept on screen after they leave a live list, until the saga acting on them answers. */
function useKeptOrders(live: Order[]) {
  const [kept, setKept] = useState<Order[]>([]);
  const shown = [...kept.filter((k) => !live.some((o) => o.id === k.id)), ...live];
  const keep = (order: Order) => setKept((list) => (list.some((o) => o.id === order.id) ? list : [order, ...list]));
  const release = (id: string) => setKept((list) => list.filter((o) => o.id !== id));
  return { shown, keep, release };
}

/**
 * Orders waiting for a runner, kept live by the stream: new ones appear, taken ones disappear.
 * An order this runner tried to accept stays on screen until the accept saga gives its answer.
 */
export function AvailablePage() {
  return (
    <>
      <PageHead title="Available orders" subtitle="New orders appear here as they come in. The first runner to accept gets the order." />
      <RunnerOnly>
        <AvailableList />
      </RunnerOnly>
    </>
  );
}

function AvailableList() {
  const pages = useAvailablePages();
  // An order this runner tried to accept stays until the accept saga answers or it is dismissed.
  const tried = useKeptOrders(pages.data?.pages.flatMap((p) => p.items) ?? []);

  if (pages.isPending) return <Loading label="Looking for orders…" />;
  if (pages.error) return <ErrorNotice error={pages.error} />;
  return (
    <>
      {tried.shown.length === 0 ? (
        <EmptyState title="No orders waiting right now" icon="🛵">
          <p>Keep this page open: new orders show up here by themselves.</p>
        </EmptyState>
      ) : (
        <ul className="order-list" aria-label="Available orders">
          {tried.shown.map((order) => (
            <OrderRow key={order.id} order={order}>
              {order.acceptBy && <Countdown until={order.acceptBy} label="Accept within" />}
              <AcceptButton order={order} onTry={() => tried.keep(order)} onDismiss={() => tried.release(order.id)} />
            </OrderRow>
          ))}
        </ul>
      )}
      {pages.hasNextPage && (
        <div className="list-footer">
          <MoreButton pages={pages} loadingLabel="Loading…" />
        </div>
      )}
    </>
  );
}

/** Accepts and tells the truth: "you got it" only once the accept-order saga has completed. */
function AcceptButton({ order, onTry, onDismiss }: { order: Order; onTry: () => void; onDismiss: () => void }) {
  const queryClient = useQueryClient();
  const accept = useMutation({
    mutationFn: () => api.orders.accept(order.id),
    onMutate: onTry,
  });
  const saga = useSaga(accept.data?.sagaId);
  const status = saga.data?.status;
  const ended = status !== undefined && status !== 'RUNNING' && status !== 'COMPENSATING';
  const won = status === 'COMPLETED';
  // The new delivery belongs on the deliveries page now.
  useEffect(() => {
    if (won) void queryClient.invalidateQueries({ queryKey: keys.allOrders });
  }, [won, queryClient]);
  const lost = (ended && !won) || isApiError(accept.error, 'ORDER_NOT_AVAILABLE') || isApiError(accept.error, 'NOT_FOUND');

  if (won) {
    return (
      <div className="outcome">
        <Notice tone="success" alert>
          You got it! Head to {order.store.name}.
        </Notice>
        <Link to={`/orders/${order.id}`} className="button button--small">
          Start delivery
        </Link>
      </div>
    );
  }
  if (lost) {
    return (
      <div className="outcome">
        <Notice tone="warning" alert>
          {isApiError(accept.error, 'NOT_FOUND') ? 'This order was withdrawn.' : 'Another runner took it.'}
        </Notice>
        <button type="button" className="button button--ghost button--small" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    );
  }
  if (accept.error) {
    return (
      <div className="outcome">
        <ErrorNotice error={accept.error} />
        <button type="button" className="button button--small" onClick={() => accept.mutate()}>
          Try again
        </button>
      </div>
    );
  }
  const checking = accept.isPending || accept.isSuccess;
  return (
    <button
      type="button"
      className="button"
      onClick={() => accept.mutate()}
      disabled={checking}
      aria-label={checking ? `Accepting ${order.store.name} order…` : `Accept ${order.store.name} order, ${money(order.totalCents)}`}
    >
      {checking ? 'Accepting…' : 'Accept'}
    </button>
  );
}

/** The runner's orders in hand with the next step as one button, and past deliveries. */
export function DeliveriesPage() {
  return (
    <>
      <PageHead title="Deliveries" subtitle="Your orders in hand. Move each one along as you go." />
      <RunnerOnly>
        <ActiveDeliveries />
        <PastDeliveries />
      </RunnerOnly>
    </>
  );
}

function ActiveDeliveries() {
  const active = useActiveDeliveries();
  // An order being completed leaves the active list; it stays on screen until its saga answers.
  const finishing = useKeptOrders(active.orders);
  return (
    <section aria-labelledby="active-title" className="section">
      <h2 id="active-title">In progress</h2>
      <QueryState query={{ ...active, data: finishing.shown }} loading="Loading your deliveries…">
        {(shown) =>
          shown.length === 0 ? (
            <EmptyState title="No deliveries in progress" icon="🛵">
              <Link to="/runner" className="button">
                Find an order
              </Link>
            </EmptyState>
          ) : (
            <ul className="order-list" aria-label="Deliveries in progress">
              {shown.map((order) => (
                <OrderRow key={order.id} order={order}>
                  <RunnerAction order={order} onCompleting={() => finishing.keep(order)} />
                </OrderRow>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}

function PastDeliveries() {
  const pages = useOrderPages('runner', 'COMPLETED');
  const orders = pages.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-labelledby="past-title" className="section">
      <h2 id="past-title">Completed</h2>
      <QueryState query={pages}>
        {() =>
          orders.length === 0 ? (
            <p className="muted">Completed deliveries will be listed here.</p>
          ) : (
            <>
              <ul className="order-list" aria-label="Completed deliveries">
                {orders.map((order) => (
                  <OrderRow key={order.id} order={order} />
                ))}
              </ul>
              {pages.hasNextPage && (
                <div className="list-footer">
                  <MoreButton pages={pages} />
                </div>
              )}
            </>
          )
        }
      </QueryState>
    </section>
  );
}
