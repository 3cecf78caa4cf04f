import { InfiniteQueryObserver, QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { refresh } from '../src/api/refresh.ts';

/**
 * A live event refreshes a list while the user is loading its next page ("Show more"): the page
 * must not be lost. A plain invalidation cancels the running fetch and reads only the pages shown.
 */

interface Page {
  items: number[];
  next: number | null;
}

/** A list of `total` items served `size` at a time; every fetch waits until the test lets it go. */
function server(total: number, size: number) {
  const held: Array<() => void> = [];
  let version = 0;
  const fetchPage = (from: number) =>
    new Promise<Page>((resolve) => {
      held.push(() => {
        const items = Array.from({ length: Math.min(size, total - from) }, (_, i) => version * 1000 + from + i);
        resolve({ items, next: from + size < total ? from + size : null });
      });
    });
  return {
    fetchPage,
    change: () => version++,
    /** Answers every fetch asked so far, and those they lead to, until none is waiting. */
    async settle(client: QueryClient) {
      for (;;) {
        await new Promise((r) => setTimeout(r, 0));
        if (held.length > 0) for (const go of held.splice(0)) go();
        else if (client.isFetching() === 0) return;
      }
    },
  };
}

async function showMoreDuringRefresh(live: (client: QueryClient) => Promise<unknown>) {
  const api = server(11, 10);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const observer = new InfiniteQueryObserver(client, {
    queryKey: ['orders'],
    queryFn: ({ pageParam }) => api.fetchPage(pageParam),
    initialPageParam: 0,
    getNextPageParam: (page: Page) => page.next,
  });
  const unsubscribe = observer.subscribe(() => {});
  await api.settle(client);
  expect(observer.getCurrentResult().data?.pages).toHaveLength(1);

  // "Show more" is clicked; before its page arrives, a live event says an order changed.
  const more = observer.fetchNextPage();
  api.change();
  const refreshed = live(client);
  await api.settle(client);
  await Promise.all([more, refreshed]);
  const pages = observer.getCurrentResult().data?.pages ?? [];
  unsubscribe();
  client.clear();
  return pages.flatMap((p) => p.items);
}

describe('a live refresh of a paged list', () => {
  it('keeps the page the user asked for, and shows what changed', async () => {
    const items = await showMoreDuringRefresh((client) => refresh(client, ['orders']));
    // All eleven, as they are after the change.
    expect(items).toEqual(Array.from({ length: 11 }, (_, i) => 1000 + i));
  });

  it('is needed: a plain invalidation drops the page being loaded', async () => {
    const items = await showMoreDuringRefresh((client) => client.invalidateQueries({ queryKey: ['orders'] }));
    expect(items).toHaveLength(10);
  });
});
