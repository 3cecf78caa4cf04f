import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import { keys, usePayoutAccount } from '../api/queries.ts';
import { when } from '../lib/format.ts';
import { EditFormActions, useEditForm } from './edit-form.tsx';
import { ErrorNotice, Loading, ProblemNotice } from './feedback.tsx';
import { TextField } from './field.tsx';

/**
 * The runner's sandbox payout account: where completed deliveries are paid. A new account applies
 * to every order completed from then on, including those already in hand.
 */
export function PayoutAccount() {
  const account = usePayoutAccount(true);
  const [editing, setEditing] = useState(false);
  if (account.isPending) return <Loading label="Loading your payout account…" />;
  if (account.error) return <ErrorNotice error={account.error} />;
  const a = account.data;
  return (
    <section className="subsection" aria-labelledby="payout-title">
      <h3 id="payout-title">Payout account</h3>
      <p>
        {a.last4 ? `Bank account ending in ${a.last4}` : 'The sandbox account CampusG opened for you'}
        <span className="muted"> · since {when(a.updatedAt)}</span>
      </p>
      {editing ? (
        <PayoutForm onDone={() => setEditing(false)} />
      ) : (
        <button type="button" className="button button--secondary" onClick={() => setEditing(true)}>
          Change payout account
        </button>
      )}
    </section>
  );
}

function PayoutForm({ onDone }: { onDone: () => void }) {
  const [accountNumber, setAccountNumber] = useState('');
  const form = useEditForm({ save: api.me.putPayoutAccount, key: keys.payoutAccount, onDone });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    form.save({ accountNumber: accountNumber.replace(/[\s-]/g, '') });
  };
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Change payout account">
      <ProblemNotice>{form.general}</ProblemNotice>
      <TextField
        label="Bank account number"
        inputMode="numeric"
        autoComplete="off"
        value={accountNumber}
        onChange={(e) => setAccountNumber(e.target.value)}
        error={form.fieldError('accountNumber')}
        hint="6 to 20 digits. Sandbox: no real money moves."
      />
      <EditFormActions saving={form.saving} saveLabel="Save payout account" onCancel={onDone} />
    </form>
  );
}
