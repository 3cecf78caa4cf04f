import type { ProfileBody } from '@campusg/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { keys } from '../api/queries.ts';
import { sentence } from '../lib/format.ts';
import { useUser } from '../session.ts';
import { describeError, ProblemNotice } from './feedback.tsx';
import { TextField } from './field.tsx';

/**
 * The name and phone others see on an order: the name always, the phone only by the other party
 * of an order that is on its way (accepted to delivered). An empty phone removes it.
 */
export function ProfileForm({ onDone }: { onDone: () => void }) {
  const user = useUser();
  const queryClient = useQueryClient();
  const [name, setName] = useState(user.name);
  const [phone, setPhone] = useState(user.phone ?? '');
  const save = useMutation({
    mutationFn: (body: ProfileBody) => api.me.patch(body),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.me, updated);
      onDone();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ name, phone: phone.trim() === '' ? null : phone });
  };
  const error = (field: string) => {
    const message = isApiError(save.error) ? save.error.fields[field] : undefined;
    return message ? sentence(message) : undefined;
  };
  const general = save.error && !(isApiError(save.error) && Object.keys(save.error.fields).length > 0) ? describeError(save.error) : null;
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Edit profile">
      <ProblemNotice>{general}</ProblemNotice>
      <TextField label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={error('name')} />
      <TextField
        label="Phone"
        type="tel"
        autoComplete="tel"
        placeholder="+65 9123 4567"
        value={phone}
        onChange={(e) => setPhone(e.target.value)}
        error={error('phone')}
        hint="Shown only to your runner or customer while an order is on its way."
      />
      <div className="row">
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save profile'}
        </button>
        <button type="button" className="button button--ghost" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
