import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { useMe } from '../api/queries.ts';
import { describeError, Notice } from '../components/feedback.tsx';
import { TextField } from '../components/field.tsx';
import { sentence } from '../lib/format.ts';
import { useSignedIn } from '../session.ts';

/** Where to go after signing in: the page that sent the user here, if it is one of ours. */
function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next');
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function fieldError(error: unknown, field: string): string | undefined {
  if (!isApiError(error)) return undefined;
  if (error.code === 'EMAIL_TAKEN' && field === 'email') return 'An account with this email already exists. Sign in instead?';
  const message = error.fields[field];
  return message ? sentence(message) : undefined;
}

/** A form-level error: anything not shown next to a field. */
function formError(error: unknown): string | null {
  if (!error) return null;
  if (isApiError(error) && (Object.keys(error.fields).length > 0 || error.code === 'EMAIL_TAKEN')) return null;
  if (isApiError(error, 'INVALID_CREDENTIALS')) return 'That email and password do not match an account.';
  return describeError(error);
}

function AuthFrame({ title, subtitle, children }: { title: string; subtitle: string; children: React.ReactNode }) {
  return (
    <div className="auth">
      <title>{`${title} · CampusG`}</title>
      <div className="auth__brand">
        <span className="brand__mark brand__mark--large" aria-hidden="true">
          G
        </span>
        <span className="auth__name">CampusG</span>
        <p className="auth__tagline">Food from any campus outlet, brought to your room by a fellow student.</p>
      </div>
      <main id="main" className="auth__card card">
        <h1>{title}</h1>
        <p className="muted">{subtitle}</p>
        {children}
      </main>
    </div>
  );
}

export function SignInPage() {
  const me = useMe();
  const next = useNext();
  const navigate = useNavigate();
  const signedIn = useSignedIn();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: api.auth.login,
    onSuccess: ({ user }) => {
      signedIn(user);
      navigate(next, { replace: true });
    },
  });
  if (me.data && !login.isSuccess) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email, password });
  };
  const problem = formError(login.error);
  return (
    <AuthFrame title="Sign in" subtitle="Welcome back. Hungry?">
      {(location.state as { signedOut?: boolean } | null)?.signedOut && <Notice tone="success">You have signed out.</Notice>}
      <form className="form" onSubmit={submit} noValidate>
        {problem && (
          <Notice tone="danger" alert>
            {problem}
          </Notice>
        )}
        <TextField
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(login.error, 'email')}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(login.error, 'password')}
        />
        <button type="submit" className="button button--block" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="auth__switch">
        New to CampusG? <Link to={`/sign-up${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`}>Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function SignUpPage() {
  const me = useMe();
  const next = useNext();
  const navigate = useNavigate();
  const signedIn = useSignedIn();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const register = useMutation({
    mutationFn: api.auth.register,
    onSuccess: ({ user }) => {
      signedIn(user);
      navigate(next === '/' ? '/profile?welcome=1' : next, { replace: true });
    },
  });
  if (me.data && !register.isSuccess) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    register.mutate({ name, email, password });
  };
  const problem = formError(register.error);
  return (
    <AuthFrame title="Create your account" subtitle="Order food, or deliver it and earn.">
      <form className="form" onSubmit={submit} noValidate>
        {problem && (
          <Notice tone="danger" alert>
            {problem}
          </Notice>
        )}
        <TextField
          label="Name"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fieldError(register.error, 'name')}
        />
        <TextField
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(register.error, 'email')}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fieldError(register.error, 'password')}
          hint="8 to 128 characters."
        />
        <button type="submit" className="button button--block" disabled={register.isPending}>
          {register.isPending ? 'Creating account…' : 'Create account'}
        </button>
      </form>
      <p className="auth__switch">
        Already have an account? <Link to={`/sign-in${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`}>Sign in</Link>
      </p>
    </AuthFrame>
  );
}
