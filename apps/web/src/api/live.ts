import type { NotificationItem, Order, OrderRecord } from '@campusg/contracts';
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { keys } from './queries.ts';
import { refresh } from './refresh.ts';

export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * Keeps the query cache current from `GET /api/stream` (server-sent events, authenticated by the
 * session cookie): no polling and no reloads. `sessionKey` changes when the user or their roles
 * change, because the server decides at connect time whether the stream carries `available` events.
 */
export function useLiveUpdates(sessionKey: string | null): LiveState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');

  useEffect(() => {
    if (!sessionKey) return;
    setState('connecting');
    const source = new EventSource('/api/stream');
    source.addEventListener('open', () => {
      setState('live');
      // Anything that changed while (re)connecting was not streamed: catch up once.
      resync(queryClient);
    });
    source.addEventListener('error', () => {
      setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
      // A closed stream usually means the session ended: let the app find out.
      if (source.readyState === EventSource.CLOSED) void queryClient.invalidateQueries({ queryKey: keys.me });
    });
    source.addEventListener('order', (event) => onOrder(queryClient, JSON.parse(event.data) as OrderRecord));
    source.addEventListener('notification', (event) => onNotification(queryClient, JSON.parse(event.data) as NotificationItem));
    source.addEventListener('available', () => void refresh(queryClient, keys.available));
    return () => source.close();
  }, [sessionKey, queryClient]);

  return state;
}

/**
 * The stream carries the order's record; its people and acceptance deadline come from the order
 * itself, which is read again. Until then the new status shows with the people already known.
 */
function onOrder(queryClient: QueryClient, order: OrderRecord): void {
  // Events may overtake each other; never replace a newer copy with an older one.
  const cached = queryClient.getQueryData<Order>(keys.order(order.id));
  if (cached) {
    queryClient.setQueryData<Order>(keys.order(order.id), cached.updatedAt > order.updatedAt ? cached : { ...cached, ...order });
  } else {
    // Not shown yet (a 404 in the instant after posting, still being retried): the order exists now, ask afresh.
    void queryClient.resetQueries({ queryKey: keys.order(order.id) });
  }
  for (const queryKey of [keys.order(order.id), keys.allOrders, keys.timeline(order.id), keys.payment(order.id), keys.wallet]) {
    void refresh(queryClient, queryKey);
  }
}

function onNotification(queryClient: QueryClient, item: NotificationItem): void {
  void refresh(queryClient, keys.notifications);
  void refresh(queryClient, keys.wallet);
  if (item.orderId) void refresh(queryClient, keys.timeline(item.orderId));
}

function resync(queryClient: QueryClient): void {
  for (const queryKey of [keys.allOrders, keys.available, keys.notifications, keys.wallet, ['order']]) {
    void refresh(queryClient, queryKey);
  }
}
