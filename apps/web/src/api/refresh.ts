import type { QueryClient, QueryKey } from '@tanstack/react-query';

/**
 * Reads the queries under `queryKey` again because the server said something changed (a live
 * event). A fetch already under way is never cancelled: it may be the user's "Show more" (an infinite
 * query's next page), which a plain invalidation would cancel and lose, refetching only the pages
 * already shown. Such a fetch may have read the data before the change, so once it ends the queries
 * are read again.
 */
export function refresh(queryClient: QueryClient, queryKey: QueryKey): Promise<void> {
  const busy = queryClient.isFetching({ queryKey }) > 0;
  const again = () => queryClient.invalidateQueries({ queryKey }, { cancelRefetch: false });
  return busy ? again().then(again) : again();
}
