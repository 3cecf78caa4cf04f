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

/** An error from a query or mutation, in words. */
export function ErrorNotice({ error }: { error: unknown }) {
  return (
    <Notice tone="danger" alert>
      {describeError(error)}
    </Notice>
  );
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
    case 'INTERNAL':
    case 'NOT_READY':
      return 'CampusG is having trouble right now. Please try again shortly.';
    default:
      return error.message;
  }
}
