import type { Order, TimelineItem } from '@campusg/contracts';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { useOrder, usePayment, useSaga, useTimeline } from '../api/queries.ts';
import { ConfirmDialog, useDialog } from '../components/confirm-dialog.tsx';
import { Countdown } from '../components/countdown.tsx';
import { Fact } from '../components/fact.tsx';
import { EmptyState, ErrorNotice, Loading, Notice } from '../components/feedback.tsx';
import { OrderBill } from '../components/order-parts.tsx';
import { Person } from '../components/person.tsx';
import { RateOrder } from '../components/rate-order.tsx';
import { ReleaseOrder } from '../components/release-order.tsx';
import { RunnerAction } from '../components/runner-action.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { money, orderRef, when } from '../lib/format.ts';
import { CANCEL_REASON_TEXT, isCancellable, paymentText, STATUS_LABEL, STEPS, stepIndex } from '../lib/order-status.ts';
import { useUser } from '../session.ts';

/** The order's page: progress, runner, payment, bill and the full timeline, all live. */
export function OrderPage() {
  const { id = '' } = useParams();
  const order = useOrder(id);
  if (order.isPending) return <Loading label="Loading your order…" />;
  if (order.error) {
    return isApiError(order.error, 'NOT_FOUND') ? (
      <EmptyState title="Order not found" icon="🔍">
        <p>It may belong to someone else, or the link is wrong.</p>
        <Link to="/orders">Back to my orders</Link>
      </EmptyState>
    ) : (
      <ErrorNotice error={order.error} />
    );
  }
  return <OrderView order={order.data} />;
}

function OrderView({ order }: { order: Order }) {
  const user = useUser();
  const location = useLocation();
  const isCustomer = order.customerId === user.id;
  const isRunner = order.runnerId === user.id;
  const party = isCustomer || isRunner;
  const payment = usePayment(order.id, party && order.status !== 'PENDING', order.status);
  const timeline = useTimeline(order.id, party);

  return (
    <>
      <title>{`Order ${orderRef(order.id)} · CampusG`}</title>
      <div className="page-head page-head--split">
        <div>
          <p className="eyebrow">
            <Link to={isRunner ? '/runner/deliveries' : '/orders'}>← {isRunner ? 'Deliveries' : 'My orders'}</Link>
          </p>
          <h1>
            {order.store.name} <span className="muted ref">{orderRef(order.id)}</span>
          </h1>
          <p className="muted">
            Placed {when(order.createdAt)} · {order.store.location}
          </p>
        </div>
        <StatusBadge status={order.status} />
      </div>
      {/* Live status changes are announced to screen readers too. */}
      <p className="visually-hidden" role="status">
        Order status: {STATUS_LABEL[order.status]}
      </p>

      {(location.state as { placed?: boolean } | null)?.placed && order.status === 'PENDING' && (
        <Notice tone="info">Order sent. We are checking your card…</Notice>
      )}

      <section className="card" aria-labelledby="progress-title">
        <h2 id="progress-title">Progress</h2>
        {order.status === 'CANCELLED' ? (
          <Notice tone="danger">
            <strong>Cancelled.</strong> {order.cancelReason ? CANCEL_REASON_TEXT[order.cancelReason] : 'This order was cancelled.'}
          </Notice>
        ) : order.status === 'PENDING' ? (
          <p className="pending" role="status">
            <span className="spinner spinner--small" aria-hidden="true" /> Checking your payment…
          </p>
        ) : null}
        {order.acceptBy && <Countdown until={order.acceptBy} label="Time left for a runner to accept" />}
        <Steps order={order} />
        {isCustomer && <CancelOrder order={order} />}
        {isRunner && <RunnerAction order={order} />}
        {isRunner && <ReleaseOrder order={order} />}
        {order.status === 'COMPLETED' && party && <RateOrder order={order} as={isCustomer ? 'customer' : 'runner'} />}
        {isCustomer && (order.status === 'COMPLETED' || order.status === 'CANCELLED') && (
          <p className="order-again">
            <Link to="/orders/new" state={{ reorder: order }} className="button button--secondary">
              Order again
            </Link>
          </p>
        )}
      </section>

      <div className="grid grid--2">
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl className="facts">
            <Fact term="Runner">
              {isRunner ? (
                'You'
              ) : order.runner ? (
                <Person person={order.runner} />
              ) : (
                <span className="muted">{order.status === 'CREATED' ? 'Finding you a runner…' : 'None'}</span>
              )}
            </Fact>
            {!isCustomer && (
              <Fact term="Customer">
                <Person person={order.customer} />
              </Fact>
            )}
            <Fact term="Payment">
              <span>{order.status === 'PENDING' ? 'Checking…' : payment.isPending && party ? 'Loading…' : paymentText(payment.data)}</span>
              {payment.data && <span className="muted"> · {money(payment.data.amountCents)}</span>}
            </Fact>
            <Fact term="Deliver to">
              {order.deliveryLocation.building}, {order.deliveryLocation.room}
            </Fact>
            {order.instructions && (
              <Fact term="Instructions" className="pre">
                {order.instructions}
              </Fact>
            )}
          </dl>
          <OrderBill order={order} />
        </section>

        <section className="card" aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          {!party ? (
            <p className="muted">The timeline is shown to the order's customer and runner.</p>
          ) : timeline.isPending ? (
            <Loading label="Loading the timeline…" />
          ) : timeline.error ? (
            <ErrorNotice error={timeline.error} />
          ) : timeline.data.items.length === 0 ? (
            <p className="muted">Nothing has happened yet.</p>
          ) : (
            <Timeline items={timeline.data.items} />
          )}
        </section>
      </div>
    </>
  );
}

/** Every bus message about the order, oldest first, kept scrolled to the newest. */
function Timeline({ items }: { items: TimelineItem[] }) {
  const list = useRef<HTMLOListElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls again whenever an entry arrives
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [items.length]);
  return (
    <ol ref={list} className="timeline" aria-label="Order timeline">
      {items.map((item) => (
        <li key={item.messageId} className="timeline__item">
          <time dateTime={item.at} className="timeline__time">
            {new Date(item.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })}
          </time>
          <span>{item.summary}</span>
        </li>
      ))}
    </ol>
  );
}

/** placed → accepted → bought → on the way → delivered → completed, with when each happened. */
function Steps({ order }: { order: Order }) {
  const current = stepIndex(order.status);
  return (
    <ol className={order.status === 'CANCELLED' ? 'steps steps--cancelled' : 'steps'} aria-label="Order progress">
      {STEPS.map((step, i) => {
        const at = step.at(order);
        const done = current >= i || (order.status === 'CANCELLED' && at !== null);
        const state = current === i ? 'current' : done ? 'done' : 'todo';
        const final = order.status === 'COMPLETED' && current === i;
        return (
          <li
            key={step.status}
            className={`step step--${state}${final ? ' step--final' : ''}`}
            aria-current={state === 'current' ? 'step' : undefined}
          >
            <span className="step__dot" aria-hidden="true">
              {done ? '✓' : i + 1}
            </span>
            <span className="step__label">
              {step.label}
              <span className="visually-hidden">
                {final ? ' (done)' : state === 'current' ? ' (current step)' : done ? ' (done)' : ' (to come)'}
              </span>
            </span>
            {at && done && (
              <time className="step__time" dateTime={at}>
                {when(at)}
              </time>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** Cancel while no runner has accepted, after confirming; the outcome comes from the cancel saga. */
function CancelOrder({ order }: { order: Order }) {
  const confirm = useDialog();
  const cancel = useMutation({ mutationFn: () => api.orders.cancel(order.id), onSettled: confirm.close });
  const saga = useSaga(cancel.data?.sagaId);
  const sagaStatus = saga.data?.status;
  return (
    <div className="cancel">
      {cancel.isSuccess && (!sagaStatus || sagaStatus === 'RUNNING' || sagaStatus === 'COMPENSATING') && (
        <p className="pending" role="status">
          <span className="spinner spinner--small" aria-hidden="true" /> Cancelling…
        </p>
      )}
      {(sagaStatus === 'COMPENSATED' || sagaStatus === 'FAILED' || isApiError(cancel.error, 'ORDER_NOT_CANCELLABLE')) && (
        <Notice tone="warning" alert>
          It is too late to cancel: a runner has already accepted this order.
        </Notice>
      )}
      <ErrorNotice error={isApiError(cancel.error, 'ORDER_NOT_CANCELLABLE') ? null : cancel.error} />
      {!cancel.isSuccess && isCancellable(order.status) && (
        <button type="button" className="button button--ghost button--danger-text" onClick={confirm.show}>
          Cancel order
        </button>
      )}
      <ConfirmDialog
        dialog={confirm}
        action={cancel}
        title="Cancel this order?"
        confirmLabel="Yes, cancel order"
        busyLabel="Cancelling…"
        danger
      >
        <p>
          Nobody has accepted it yet. If you cancel, the hold of {money(order.totalCents)} on your card is released and you are not charged.
        </p>
      </ConfirmDialog>
    </div>
  );
}
