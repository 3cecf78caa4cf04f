import type { AuthResponse } from '@campusg/contracts';
import { useMutation } from '@tanstack/react-query';
import { type ChangeEvent, type FormEvent, type ReactNode, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { useMe } from '../api/queries.ts';
import { describeError, Notice, ProblemNotice } from '../components/feedback.tsx';
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

function AuthFrame({ title, subtitle, children }: { title: string; subtitle: string; children: ReactNode }) {
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

/** Signs in or up with `mutationFn`, then goes on to `destination(next)`. */
function useAuthMutation<B>(mutationFn: (body: B) => Promise<AuthResponse>, destination: (next: string) => string) {
  const me = useMe();
  const next = useNext();
  const navigate = useNavigate();
  const signedIn = useSignedIn();
  const mutation = useMutation({
    mutationFn,
    onSuccess: ({ user }) => {
      signedIn(user);
      navigate(destination(next), { replace: true });
    },
  });
  // Someone already signed in has nothing to do here, unless this very form just signed them in.
  return { mutation, next, alreadySignedIn: Boolean(me.data) && !mutation.isSuccess };
}

type Bind<K extends string> = (name: K) => { value: string; onChange: (event: ChangeEvent<HTMLInputElement>) => void };

/** The values of a form's text inputs, and `bind(name)`: the `value` and `onChange` of one of them. */
function useTextFields<K extends string>(initial: Record<K, string>): { values: Record<K, string>; bind: Bind<K> } {
  const [values, setValues] = useState(initial);
  const bind: Bind<K> = (name) => ({ value: values[name], onChange: (event) => setValues((v) => ({ ...v, [name]: event.target.value })) });
  return { values, bind };
}

interface AuthFormProps {
  mutation: { error: unknown; isPending: boolean };
  onSubmit: () => void;
  label: string;
  busyLabel: string;
  children: ReactNode;
}

/** The form of both pages: a problem that belongs to no field above the fields, the submit button below. */
function AuthForm({ mutation, onSubmit, label, busyLabel, children }: AuthFormProps) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <form className="form" onSubmit={submit} noValidate>
      <ProblemNotice>{formError(mutation.error)}</ProblemNotice>
      {children}
      <button type="submit" className="button button--block" disabled={mutation.isPending}>
        {mutation.isPending ? busyLabel : label}
      </button>
    </form>
  );
}

/** The email and password both pages ask for; a new password comes with its rule. */
function CredentialFields({
  bind,
  error,
  newPassword = false,
}: {
  bind: Bind<'email' | 'password'>;
  error: unknown;
  newPassword?: boolean;
}) {
  return (
    <>
      <TextField label="Email" type="email" autoComplete="email" {...bind('email')} error={fieldError(error, 'email')} />
      <TextField
        label="Password"
        type="password"
        autoComplete={newPassword ? 'new-password' : 'current-password'}
        {...bind('password')}
        error={fieldError(error, 'password')}
        hint={newPassword ? '8 to 128 characters.' : undefined}
      />
    </>
  );
}

/** The way to the other page, keeping where to go afterwards. */
function AuthSwitch({ question, to, next, children }: { question: string; to: string; next: string; children: ReactNode }) {
  return (
    <p className="auth__switch">
      {question} <Link to={`${to}${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`}>{children}</Link>
    </p>
  );
}

export function SignInPage() {
  const location = useLocation();
  const { values, bind } = useTextFields({ email: '', password: '' });
  const { mutation: login, next, alreadySignedIn } = useAuthMutation(api.auth.login, (next) => next);
  if (alreadySignedIn) return <Navigate to={next} replace />;
  return (
    <AuthFrame title="Sign in" subtitle="Welcome back. Hungry?">
      {(location.state as { signedOut?: boolean } | null)?.signedOut && <Notice tone="success">You have signed out.</Notice>}
      <AuthForm mutation={login} onSubmit={() => login.mutate(values)} label="Sign in" busyLabel="Signing in…">
        <CredentialFields bind={bind} error={login.error} />
      </AuthForm>
      <AuthSwitch question="New to CampusG?" to="/sign-up" next={next}>
        Create an account
      </AuthSwitch>
    </AuthFrame>
  );
}

export function SignUpPage() {
  const { values, bind } = useTextFields({ name: '', email: '', password: '' });
  const {
    mutation: register,
    next,
    alreadySignedIn,
  } = useAuthMutation(api.auth.register, (next) => (next === '/' ? '/profile?welcome=1' : next));
  if (alreadySignedIn) return <Navigate to={next} replace />;
  return (
    <AuthFrame title="Create your account" subtitle="Order food, or deliver it and earn.">
      <AuthForm mutation={register} onSubmit={() => register.mutate(values)} label="Create account" busyLabel="Creating account…">
        <TextField label="Name" autoComplete="name" {...bind('name')} error={fieldError(register.error, 'name')} />
        <CredentialFields bind={bind} error={register.error} newPassword />
      </AuthForm>
      <AuthSwitch question="Already have an account?" to="/sign-in" next={next}>
        Sign in
      </AuthSwitch>
    </AuthFrame>
  );
}
