import type { Order, OrderStatus } from '@campusg/contracts';
import { MutationCache, QueryCache, QueryClient, useInfiniteQuery, useQueries, useQuery } from '@tanstack/react-query';
import { ACTIVE_RUNNER_STATUSES } from '../lib/order-status.ts';
import { api } from './client.ts';
import { isApiError } from './http.ts';

/** Every cache key in one place, so live updates know what to refresh. */
export const keys = {
  me: ['me'] as const,
  order: (id: string) => ['order', id] as const,
  orders: (as: 'customer' | 'runner', status?: OrderStatus, q?: string) => ['orders', as, status ?? 'ALL', q ?? ''] as const,
  allOrders: ['orders'] as const,
  available: ['available'] as const,
  payment: (id: string) => ['payment', id] as const,
  timeline: (id: string) => ['timeline', id] as const,
  saga: (id: string) => ['saga', id] as const,
  wallet: ['wallet'] as const,
  payoutAccount: ['payout-account'] as const,
  notifications: ['notifications'] as const,
};

export function createQueryClient(): QueryClient {
  // A session that ended (expired, or signed out in another tab) sends the user to sign in.
  const onError = (error: unknown) => {
    if (isApiError(error, 'UNAUTHENTICATED')) client.setQueryData(keys.me, null);
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // A 4xx will not change by asking again; a dropped connection might.
        retry: (count, error) => count < 2 && !(isApiError(error) && error.status >= 400 && error.status < 500),
      },
      mutations: { retry: false },
    },
  });
  return client;
}

export const PAGE_SIZE = 10;

/** The signed-in user, or null when there is no valid session. */
export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: async () => {
      try {
        return await api.me.get();
      } catch (error) {
        if (isApiError(error, 'UNAUTHENTICATED')) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/**
 * One order. Right after `POST /api/orders` answers, the order service may not have recorded it
 * yet (http-api.md): a 404 is retried a few times before it is believed.
 */
export function useOrder(id: string) {
  return useQuery({
    queryKey: keys.order(id),
    queryFn: () => api.orders.get(id),
    retry: (count, error) => (isApiError(error, 'NOT_FOUND') ? count < 5 : count < 2 && !isApiError(error)),
    retryDelay: (count) => Math.min(250 * 2 ** count, 2_000),
  });
}

/** The caller's orders, as customer or runner, newest first, a page at a time; `q` searches store and item names. */
export function useOrderPages(as: 'customer' | 'runner', status?: OrderStatus, q?: string) {
  return useInfiniteQuery({
    queryKey: keys.orders(as, status, q),
    queryFn: ({ pageParam }) => api.orders.list({ as, status, q: q || undefined, limit: PAGE_SIZE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

/** Orders runners can take; kept live by the `available` stream event. */
export function useAvailablePages() {
  return useInfiniteQuery({
    queryKey: keys.available,
    queryFn: ({ pageParam }) => api.orders.available({ limit: PAGE_SIZE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

/** The runner's orders still to deliver: one exact query per active status, merged newest first. */
export function useActiveDeliveries() {
  return useQueries({
    queries: ACTIVE_RUNNER_STATUSES.map((status) => ({
      queryKey: [...keys.orders('runner', status), 'active'],
      queryFn: () => api.orders.list({ as: 'runner', status, limit: 100 }),
    })),
    combine: (results) => ({
      orders: latestById(results.flatMap((r) => r.data?.items ?? [])).sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
      isPending: results.some((r) => r.isPending),
      error: results.find((r) => r.error)?.error ?? null,
    }),
  });
}

/** While an order moves on, two per-status lists can briefly both hold it: keep its newest copy. */
function latestById(orders: Order[]): Order[] {
  const byId = new Map<string, Order>();
  for (const order of orders) {
    const seen = byId.get(order.id);
    if (!seen || order.updatedAt > seen.updatedAt) byId.set(order.id, order);
  }
  return [...byId.values()];
}

/** The order's payment; `null` while there is none yet. */
/**
 * The order's payment. The order reaches CANCELLED or COMPLETED a step before its saga voids or
 * captures the hold, and no order event follows that step: so while the payment still trails the
 * order's final status it is asked again each second, until it has caught up.
 */
export function usePayment(id: string, enabled: boolean, orderStatus?: OrderStatus) {
  return useQuery({
    refetchInterval: (query) => {
      const final = orderStatus === 'CANCELLED' || orderStatus === 'COMPLETED';
      return final && query.state.data?.status === 'AUTHORIZED' ? 1000 : false;
    },
    queryKey: keys.payment(id),
    queryFn: async () => {
      try {
        return await api.orders.payment(id);
      } catch (error) {
        if (isApiError(error, 'NOT_FOUND')) return null;
        throw error;
      }
    },
    enabled,
  });
}

export function useTimeline(id: string, enabled: boolean) {
  return useQuery({ queryKey: keys.timeline(id), queryFn: () => api.orders.timeline(id), enabled });
}

/**
 * A saga the user started, polled until it ends (accept, complete and cancel report their real
 * outcome only once their saga has finished).
 */
export function useSaga(id: string | undefined) {
  return useQuery({
    queryKey: keys.saga(id ?? 'none'),
    queryFn: () => api.sagas.get(id!),
    enabled: id !== undefined,
    refetchInterval: (query) => (query.state.data?.endedAt ? false : 400),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useWallet() {
  return useQuery({ queryKey: keys.wallet, queryFn: api.wallet.get });
}

/** A runner's payout account. */
export function usePayoutAccount(enabled: boolean) {
  return useQuery({ queryKey: keys.payoutAccount, queryFn: api.me.payoutAccount, enabled });
}

export function useNotifications(enabled = true) {
  return useQuery({ queryKey: keys.notifications, queryFn: api.notifications.list, enabled });
}
