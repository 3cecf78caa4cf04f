import type { ReactNode } from 'react';

interface PageHeadProps {
  title: string;
  subtitle?: ReactNode;
  /** Shown beside the heading. Passing it at all, even as `false`, lays the head out split. */
  actions?: ReactNode;
}

/** A page's document title and heading, with an optional line under it and actions beside it. */
export function PageHead({ title, subtitle, actions }: PageHeadProps) {
  const heading = (
    <>
      <h1>{title}</h1>
      {subtitle !== undefined && <p className="muted">{subtitle}</p>}
    </>
  );
  return (
    <>
      <title>{`${title} · CampusG`}</title>
      {actions === undefined ? (
        <div className="page-head">{heading}</div>
      ) : (
        <div className="page-head page-head--split">
          <div>{heading}</div>
          {actions}
        </div>
      )}
    </>
  );
}
