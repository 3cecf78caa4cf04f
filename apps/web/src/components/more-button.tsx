/** The paging side of an infinite query. */
export interface Paging {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** Loads a list's next page; `loadingLabel` replaces the label while it loads. */
export function MoreButton({ pages, label = 'Show more', loadingLabel = label }: { pages: Paging; label?: string; loadingLabel?: string }) {
  return (
    <button type="button" className="button button--secondary" onClick={() => pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
      {pages.isFetchingNextPage ? loadingLabel : label}
    </button>
  );
}
