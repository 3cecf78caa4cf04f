import type { Order, OrderStatus } from '@campusg/contracts';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useOrderPages } from '../api/queries.ts';
import { EmptyState, QueryState } from '../components/feedback.tsx';
import { FormField } from '../components/field.tsx';
import { MoreButton, type Paging } from '../components/more-button.tsx';
import { OrderRow } from '../components/order-parts.tsx';
import { PageHead } from '../components/page-head.tsx';
import { STATUS_LABEL } from '../lib/order-status.ts';

const FILTERS = Object.keys(STATUS_LABEL) as OrderStatus[];

/** The customer's orders, newest first, filtered by status and searched by store or item, a page at a time. */
export function MyOrdersPage() {
  const [params, setParams] = useSearchParams();
  const raw = params.get('status');
  const status = FILTERS.includes(raw as OrderStatus) ? (raw as OrderStatus) : undefined;
  const q = params.get('q')?.trim().slice(0, 100) || undefined;
  const pages = useOrderPages('customer', status, q);
  const [search, setSearch] = useState(q ?? '');
  /** Sets one filter in the address, keeping the other. */
  const filter = (key: 'status' | 'q', value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    filter('q', search.trim());
  };

  return (
    <>
      <PageHead
        title="My orders"
        subtitle="Newest first."
        actions={
          <Link to="/orders/new" className="button">
            New order
          </Link>
        }
      />
      <div className="toolbar">
        <search className="toolbar__search">
          <form onSubmit={submitSearch} className="toolbar__form">
            <FormField label="Search store or item">
              {(control) => (
                <input
                  className="input"
                  type="search"
                  value={search}
                  maxLength={100}
                  onChange={(e) => setSearch(e.target.value)}
                  {...control}
                />
              )}
            </FormField>
            <button type="submit" className="button button--secondary">
              Search
            </button>
          </form>
        </search>
        <FormField label="Status">
          {(control) => (
            <select className="input" value={status ?? ''} onChange={(e) => filter('status', e.target.value)} {...control}>
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
      <QueryState query={pages} loading="Loading your orders…">
        {(data) => (
          <OrderList
            orders={data.pages.flatMap((p) => p.items)}
            status={status}
            searched={q}
            pages={pages}
            onShowAll={() => {
              setSearch('');
              setParams({}, { replace: true });
            }}
          />
        )}
      </QueryState>
    </>
  );
}

/** The customer's orders so far, a footer to load more, or what to do when there are none. */
function OrderList({
  orders,
  status,
  searched,
  pages,
  onShowAll,
}: {
  orders: Order[];
  status: OrderStatus | undefined;
  searched: string | undefined;
  pages: Paging;
  onShowAll: () => void;
}) {
  if (orders.length === 0) {
    return (
      <EmptyState
        title={searched ? `No orders match “${searched}”` : status ? `No ${STATUS_LABEL[status].toLowerCase()} orders` : 'No orders yet'}
      >
        {status || searched ? (
          <button type="button" className="button button--secondary" onClick={onShowAll}>
            Show all orders
          </button>
        ) : (
          <Link to="/orders/new" className="button">
            Order your first meal
          </Link>
        )}
      </EmptyState>
    );
  }
  return (
    <>
      <ul className="order-list" aria-label="Orders">
        {orders.map((order) => (
          <OrderRow key={order.id} order={order} />
        ))}
      </ul>
      <div className="list-footer">
        {pages.hasNextPage ? (
          <MoreButton pages={pages} label="Show more orders" loadingLabel="Loading…" />
        ) : (
          <p className="muted small">{orders.length === 1 ? 'That is your only order.' : `All ${orders.length} orders shown.`}</p>
        )}
      </div>
    </>
  );
}
