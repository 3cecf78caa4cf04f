import type { Card, CardBody } from '@campusg/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { keys } from '../api/queries.ts';
import { ConfirmDialog, useDialog } from '../components/confirm-dialog.tsx';
import { Fact } from '../components/fact.tsx';
import { describeError, ErrorNotice, Notice, ProblemNotice } from '../components/feedback.tsx';
import { TextField } from '../components/field.tsx';
import { PageHead } from '../components/page-head.tsx';
import { PayoutAccount } from '../components/payout-account.tsx';
import { ProfileForm } from '../components/profile-form.tsx';
import { sentence } from '../lib/format.ts';
import { isRunner, useSignOut, useUser } from '../session.ts';

const TEST_CARDS = [
  { number: '4242 4242 4242 4242', outcome: 'Payments are approved.' },
  { number: '4000 0000 0000 0002', outcome: 'Payments are declined (card declined).' },
  { number: '4000 0000 0000 9995', outcome: 'Payments are declined (insufficient funds).' },
];

const BRAND: Record<Card['brand'], string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  unknown: 'Card',
};

export function ProfilePage() {
  const user = useUser();
  const [params] = useSearchParams();
  const signOut = useSignOut();
  const [editing, setEditing] = useState(false);
  return (
    <>
      <PageHead title="Profile" />
      {params.has('welcome') && !user.card && (
        <Notice tone="info">Welcome to CampusG, {user.name}! Add a card below and you are ready to order.</Notice>
      )}
      <div className="grid grid--2">
        <section className="card" aria-labelledby="account-title">
          <h2 id="account-title">Account</h2>
          <dl className="facts">
            <Fact term="Name">{user.name}</Fact>
            <Fact term="Email">{user.email}</Fact>
            <Fact term="Phone">{user.phone ?? <span className="muted">Not given</span>}</Fact>
            <Fact term="Roles">
              <ul className="chips" aria-label="Roles">
                {user.roles.map((role) => (
                  <li key={role} className="chip">
                    {role === 'runner' ? 'Runner' : 'Customer'}
                  </li>
                ))}
              </ul>
            </Fact>
          </dl>
          {editing ? (
            <ProfileForm onDone={() => setEditing(false)} />
          ) : (
            <button type="button" className="button button--secondary" onClick={() => setEditing(true)}>
              Edit profile
            </button>
          )}
          <RunnerSection />
          <button type="button" className="button button--ghost" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </section>
        <CardSection />
      </div>
    </>
  );
}

function RunnerSection() {
  const user = useUser();
  const queryClient = useQueryClient();
  const become = useMutation({
    mutationFn: api.me.becomeRunner,
    onSuccess: (updated) => queryClient.setQueryData(keys.me, updated),
  });
  if (isRunner(user)) {
    return (
      <div className="subsection">
        <h3>Runner</h3>
        <p>
          You deliver for CampusG. See <Link to="/runner">available orders</Link> and your <Link to="/runner/deliveries">deliveries</Link>.
        </p>
        <PayoutAccount />
      </div>
    );
  }
  return (
    <div className="subsection">
      <h3>Deliver and earn</h3>
      <p className="muted">Runners pick up orders from campus outlets and are paid the order total when they complete a delivery.</p>
      <ErrorNotice error={become.error} />
      <button type="button" className="button button--secondary" onClick={() => become.mutate()} disabled={become.isPending}>
        {become.isPending ? 'Signing you up…' : 'Become a runner'}
      </button>
    </div>
  );
}

function CardSection() {
  const user = useUser();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const removal = useDialog();
  const remove = useMutation({
    mutationFn: api.me.deleteCard,
    onSuccess: () => {
      queryClient.setQueryData(keys.me, { ...user, card: null });
      removal.close();
    },
  });
  const card = user.card;
  return (
    <section className="card" aria-labelledby="card-title">
      <h2 id="card-title">Payment card</h2>
      {card ? (
        <div className="payment-card">
          <div>
            <p className="payment-card__brand">
              {BRAND[card.brand]} ending in {card.last4}
            </p>
            <p className="muted">
              Expires {String(card.expMonth).padStart(2, '0')}/{card.expYear}
            </p>
          </div>
          <div className="row">
            {!editing && (
              <button type="button" className="button button--secondary" onClick={() => setEditing(true)}>
                Replace card
              </button>
            )}
            <button type="button" className="button button--ghost" onClick={removal.show}>
              Remove card
            </button>
          </div>
        </div>
      ) : (
        <Notice tone="warning">No card yet. You need one to place an order: the amount is held on it until your food arrives.</Notice>
      )}
      <ErrorNotice error={remove.error} />
      {(!card || editing) && <CardForm replacing={Boolean(card)} onDone={() => setEditing(false)} />}
      <details className="test-cards">
        <summary>Sandbox test cards</summary>
        <p className="muted">
          CampusG runs on a sandbox payment gateway: no real money moves. Use any future expiry date and any 3-digit CVC. The card is
          checked when you save it; approval or decline happens when you place an order.
        </p>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Card number</th>
              <th scope="col">What happens</th>
            </tr>
          </thead>
          <tbody>
            {TEST_CARDS.map((c) => (
              <tr key={c.number}>
                <td className="mono">{c.number}</td>
                <td>{c.outcome}</td>
              </tr>
            ))}
            <tr>
              <td>Any other valid number</td>
              <td>Payments are approved.</td>
            </tr>
          </tbody>
        </table>
      </details>
      <ConfirmDialog dialog={removal} action={remove} title="Remove your card?" confirmLabel="Remove card" busyLabel="Removing…" danger>
        <p>You will not be able to place orders until you add a card again. Orders already placed are not affected.</p>
      </ConfirmDialog>
    </section>
  );
}

const toInt = (value: string): number | undefined => (value.trim() === '' ? undefined : Number(value));

type CardDraft = Record<'number' | 'expMonth' | 'expYear' | 'cvc', string>;

/** The card form's inputs: the number on its own line, then expiry and CVC side by side. */
const NUMBER_FIELD = { name: 'number', label: 'Card number', autoComplete: 'cc-number', placeholder: '4242 4242 4242 4242' } as const;
const SIDE_BY_SIDE_FIELDS = [
  { name: 'expMonth', label: 'Expiry month', autoComplete: 'cc-exp-month', placeholder: 'MM' },
  { name: 'expYear', label: 'Expiry year', autoComplete: 'cc-exp-year', placeholder: 'YYYY' },
  { name: 'cvc', label: 'CVC', autoComplete: 'cc-csc', placeholder: '123' },
] as const;

function CardForm({ replacing, onDone }: { replacing: boolean; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<CardDraft>({ number: '', expMonth: '', expYear: '', cvc: '' });
  const save = useMutation({
    mutationFn: (body: CardBody) => api.me.putCard(body),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.me, updated);
      setDraft((d) => ({ ...d, number: '', cvc: '' }));
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Missing numbers are left out so the server answers "is required" for them.
    save.mutate({ number: draft.number, expMonth: toInt(draft.expMonth), expYear: toInt(draft.expYear), cvc: draft.cvc } as CardBody);
  };
  const error = (field: string) => {
    const message = isApiError(save.error) ? save.error.fields[field] : undefined;
    return message ? sentence(message) : undefined;
  };
  const general = save.error && !(isApiError(save.error) && Object.keys(save.error.fields).length > 0) ? describeError(save.error) : null;
  const input = (field: typeof NUMBER_FIELD | (typeof SIDE_BY_SIDE_FIELDS)[number]) => (
    <TextField
      key={field.name}
      label={field.label}
      inputMode="numeric"
      autoComplete={field.autoComplete}
      placeholder={field.placeholder}
      value={draft[field.name]}
      onChange={(e) => setDraft((d) => ({ ...d, [field.name]: e.target.value }))}
      error={error(field.name)}
    />
  );
  return (
    <form className="form" onSubmit={submit} noValidate aria-label={replacing ? 'Replace card' : 'Add card'}>
      <ProblemNotice>{general}</ProblemNotice>
      {input(NUMBER_FIELD)}
      <div className="row row--fields">{SIDE_BY_SIDE_FIELDS.map(input)}</div>
      <div className="row">
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : replacing ? 'Save new card' : 'Save card'}
        </button>
        {replacing && (
          <button type="button" className="button button--ghost" onClick={onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
