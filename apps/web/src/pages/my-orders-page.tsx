import type { OrderStatus } from '@campusg/contracts';
import { Link, useSearchParams } from 'react-router';
import { useOrderPages } from '../api/queries.ts';
import { EmptyState, ErrorNotice, Loading } from '../components/feedback.tsx';
import { FormField } from '../components/field.tsx';
import { OrderRow } from '../components/order-parts.tsx';
import { STATUS_LABEL } from '../lib/order-status.ts';

const FILTERS = Object.keys(STATUS_LABEL) as OrderStatus[];

/** The customer's orders, newest first, filtered by status, a page at a time. */
export function MyOrdersPage() {
  const [params, setParams] = useSearchParams();
  const raw = params.get('status');
  const status = FILTERS.includes(raw as OrderStatus) ? (raw as OrderStatus) : undefined;
  const pages = useOrderPages('customer', status);
  const orders = pages.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <title>My orders · CampusG</title>
      <div className="page-head page-head--split">
        <div>
          <h1>My orders</h1>
          <p className="muted">Newest first.</p>
        </div>
        <Link to="/orders/new" className="button">
          New order
        </Link>
      </div>
      <div className="toolbar">
        <FormField label="Status">
          {(control) => (
            <select
              className="input"
              value={status ?? ''}
              onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {}, { replace: true })}
              {...control}
            >
              <option value="">All orders</option>
              {FILTERS.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          )}
        </FormField>
      </div>
      {pages.isPending ? (
        <Loading label="Loading your orders…" />
      ) : pages.error ? (
        <ErrorNotice error={pages.error} />
      ) : orders.length === 0 ? (
        <EmptyState title={status ? `No ${STATUS_LABEL[status].toLowerCase()} orders` : 'No orders yet'}>
          {status ? (
            <button type="button" className="button button--secondary" onClick={() => setParams({}, { replace: true })}>
              Show all orders
            </button>
          ) : (
            <Link to="/orders/new" className="button">
              Order your first meal
            </Link>
          )}
        </EmptyState>
      ) : (
        <>
          <ul className="order-list" aria-label="Orders">
            {orders.map((order) => (
              <OrderRow key={order.id} order={order} />
            ))}
          </ul>
          <div className="list-footer">
            {pages.hasNextPage ? (
              <button
                type="button"
                className="button button--secondary"
                onClick={() => pages.fetchNextPage()}
                disabled={pages.isFetchingNextPage}
              >
                {pages.isFetchingNextPage ? 'Loading…' : 'Show more orders'}
              </button>
            ) : (
              <p className="muted small">{orders.length === 1 ? 'That is your only order.' : `All ${orders.length} orders shown.`}</p>
            )}
          </div>
        </>
      )}
    </>
  );
}
