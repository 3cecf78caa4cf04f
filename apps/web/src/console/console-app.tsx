import { type FormEvent, useEffect, useState } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { isApiError } from '../api/http.ts';
import { ErrorNotice, ProblemNotice } from '../components/feedback.tsx';
import { operatorApi, operatorToken } from './operator-api.ts';
import './console.css';

const NAV = [
  { to: '/console/sagas', label: 'Sagas' },
  { to: '/console/trace', label: 'Trace' },
  { to: '/console/dead-letters', label: 'Dead letters' },
  { to: '/console/lag', label: 'Lag' },
  { to: '/console/topics', label: 'Topics' },
  { to: '/console/health', label: 'Health' },
  { to: '/console/analytics', label: 'Analytics' },
];

/** The operator console's frame: asks for the operator token, then shows its pages. */
export function ConsoleApp() {
  const [signedIn, setSignedIn] = useState(() => operatorToken.get() !== null);
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  useEffect(() => {
    const out = () => setSignedIn(false);
    window.addEventListener('campusg:operator-signed-out', out);
    return () => window.removeEventListener('campusg:operator-signed-out', out);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: closes the phone menu on every route change
  useEffect(() => setMenuOpen(false), [location.pathname]);

  return (
    <div className="shell console">
      <header className="topbar">
        <div className="topbar__inner">
          <Link to="/console" className="brand" aria-label="CampusG operator console">
            <span className="brand__mark brand__mark--console" aria-hidden="true">
              G
            </span>
            <span className="brand__name">Console</span>
          </Link>
          {signedIn && (
            <>
              <nav id="console-nav" aria-label="Console" className={menuOpen ? 'nav nav--open' : 'nav'}>
                {NAV.map((link) => (
                  <NavLink key={link.to} to={link.to} className="nav__link">
                    {link.label}
                  </NavLink>
                ))}
                <button
                  type="button"
                  className="nav__link nav__signout"
                  onClick={() => {
                    operatorToken.clear();
                    setSignedIn(false);
                  }}
                >
                  Forget token
                </button>
              </nav>
              <div className="topbar__actions">
                <button
                  type="button"
                  className="menu-button"
                  aria-expanded={menuOpen}
                  aria-controls="console-nav"
                  onClick={() => setMenuOpen((open) => !open)}
                >
                  <span aria-hidden="true">{menuOpen ? '✕' : '☰'}</span>
                  <span className="visually-hidden">Menu</span>
                </button>
              </div>
            </>
          )}
        </div>
      </header>
      <main id="main" className="page page--wide" tabIndex={-1}>
        {signedIn ? <Outlet /> : <TokenForm onSignedIn={() => setSignedIn(true)} />}
      </main>
    </div>
  );
}

function TokenForm({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await operatorApi.signIn(token.trim());
      onSignedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card console-signin">
      <title>Operator console · CampusG</title>
      <h1>Operator console</h1>
      <p className="muted">
        Enter the operator token (<code>ADMIN_TOKEN</code>). On the embedded default it is kept in the data directory:{' '}
        <code>cat data/admin-token</code>. It is kept for this browser tab only.
      </p>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label className="field__label" htmlFor="operator-token">
            Operator token
          </label>
          <input
            id="operator-token"
            className="input mono"
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
          />
        </div>
        {isApiError(error, 'UNAUTHENTICATED') ? (
          <ProblemNotice>That token was refused. Check ADMIN_TOKEN and try again.</ProblemNotice>
        ) : error ? (
          <ErrorNotice error={error} />
        ) : null}
        <button type="submit" className="button" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Open the console'}
        </button>
      </form>
    </section>
  );
}
