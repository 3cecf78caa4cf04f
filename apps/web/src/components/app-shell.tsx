import type { User } from '@campusg/contracts';
import { useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { useLiveUpdates } from '../api/live.ts';
import { isRunner, useSignOut } from '../session.ts';
import { NotificationBell } from './notification-bell.tsx';

/** The main navigation, in order; runner pages only for runners. */
const NAV: { to: string; label: string; end?: boolean; runnerOnly?: boolean }[] = [
  { to: '/orders/new', label: 'New order' },
  { to: '/orders', label: 'My orders', end: true },
  { to: '/runner', label: 'Available', end: true, runnerOnly: true },
  { to: '/runner/deliveries', label: 'Deliveries', runnerOnly: true },
  { to: '/wallet', label: 'Wallet' },
  { to: '/profile', label: 'Profile' },
];

/** The signed-in frame: top bar with navigation and the bell, live updates, the page. */
export function AppShell({ user }: { user: User }) {
  const live = useLiveUpdates(`${user.id}:${user.roles.join(',')}`);
  const signOut = useSignOut();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const runner = isRunner(user);

  // A route change closes the phone menu and moves focus to the new page, as a page load would.
  const firstRender = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every route change on purpose
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) firstRender.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar__inner">
          <Link to="/" className="brand" aria-label="CampusG home">
            <span className="brand__mark" aria-hidden="true">
              G
            </span>
            <span className="brand__name">CampusG</span>
          </Link>
          <nav id="main-nav" aria-label="Main" className={menuOpen ? 'nav nav--open' : 'nav'}>
            {NAV.filter((link) => runner || !link.runnerOnly).map((link) => (
              <NavLink key={link.to} to={link.to} end={link.end} className="nav__link">
                {link.label}
              </NavLink>
            ))}
            <button type="button" className="nav__link nav__signout" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
              Sign out
            </button>
          </nav>
          <div className="topbar__actions">
            <span className={`live live--${live}`} title={live === 'live' ? 'Live updates on' : 'Reconnecting…'}>
              <span className="live__dot" aria-hidden="true" />
              <span className="visually-hidden">{live === 'live' ? 'Live updates on' : 'Reconnecting live updates'}</span>
            </span>
            <NotificationBell />
            <button
              type="button"
              className="menu-button"
              aria-expanded={menuOpen}
              aria-controls="main-nav"
              onClick={() => setMenuOpen((open) => !open)}
            >
              <span aria-hidden="true">{menuOpen ? '✕' : '☰'}</span>
              <span className="visually-hidden">Menu</span>
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
