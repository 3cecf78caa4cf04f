import type { ReactNode } from 'react';
import { type ApiError, isApiError } from '../api/http.ts';

/** A loading placeholder that screen readers announce. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** What a page shows when a list has nothing in it yet, with a next step. */
export function EmptyState({ title, children, icon = '🍱' }: { title: string; children?: ReactNode; icon?: string }) {
  return (
    <div className="empty">
      <div className="empty__icon" aria-hidden="true">
        {icon}
      </div>
      <p className="empty__title">{title}</p>
      {children && <div className="empty__body">{children}</div>}
    </div>
  );
}

/** A banner; `alert` ones are announced as soon as they appear. */
export function Notice({
  tone = 'info',
  children,
  alert = false,
}: {
  tone?: 'info' | 'success' | 'warning' | 'danger';
  children: ReactNode;
  alert?: boolean;
}) {
  return (
    <div className={`notice notice--${tone}`} role={alert ? 'alert' : undefined}>
      {children}
    </div>
  );
}

/** A problem already put in words, announced as it appears; nothing while there is none. */
export function ProblemNotice({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <Notice tone="danger" alert>
      {children}
    </Notice>
  );
}

/** An error from a query or mutation, in words; nothing while there is none. */
export function ErrorNotice({ error }: { error: unknown }) {
  return <ProblemNotice>{error ? describeError(error) : null}</ProblemNotice>;
}

/** The state of a query that has not answered yet or failed. */
interface QueryLike<T> {
  isPending: boolean;
  error: unknown;
  data: T | undefined;
}

/**
 * A query's spinner while it loads, its error if it failed, and otherwise what `children` renders
 * from its data (a function, so nothing reads the data before it is there).
 */
export function QueryState<T>({ query, loading, children }: { query: QueryLike<T>; loading?: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading label={loading} />;
  if (query.error || query.data === undefined) return <ErrorNotice error={query.error} />;
  return <>{children(query.data)}</>;
}

export function describeError(error: unknown): string {
  if (isApiError(error)) return messageFor(error);
  return 'Something went wrong. Please try again.';
}

function messageFor(error: ApiError): string {
  switch (error.code) {
    case 'NETWORK':
      return 'Cannot reach CampusG. Check your connection and try again.';
    case 'RATE_LIMITED':
      return 'Too many attempts. Please wait a minute and try again.';
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please sign in again.';
    case 'NOT_FOUND':
      return 'We could not find that.';
    case 'OVERLOADED':
      return 'CampusG is busy right now and nothing was placed. Please try again in a minute.';
    case 'INTERNAL':
    case 'NOT_READY':
      return 'CampusG is having trouble right now. Please try again shortly.';
    default:
      return error.message;
  }
}
