import { type FormEvent, useState } from 'react';
import { api } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import { useUser } from '../session.ts';
import { EditFormActions, useEditForm } from './edit-form.tsx';
import { ProblemNotice } from './feedback.tsx';
import { TextField } from './field.tsx';

/**
 * The name and phone others see on an order: the name always, the phone only by the other party
 * of an order that is on its way (accepted to delivered). An empty phone removes it.
 */
export function ProfileForm({ onDone }: { onDone: () => void }) {
  const user = useUser();
  const [name, setName] = useState(user.name);
  const [phone, setPhone] = useState(user.phone ?? '');
  const form = useEditForm({ save: api.me.patch, key: keys.me, onDone });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    form.save({ name, phone: phone.trim() === '' ? null : phone });
  };
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Edit profile">
      <ProblemNotice>{form.general}</ProblemNotice>
      <TextField label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={form.fieldError('name')} />
      <TextField
        label="Phone"
        type="tel"
        autoComplete="tel"
        placeholder="+65 9123 4567"
        value={phone}
        onChange={(e) => setPhone(e.target.value)}
        error={form.fieldError('phone')}
        hint="Shown only to your runner or customer while an order is on its way."
      />
      <EditFormActions saving={form.saving} saveLabel="Save profile" onCancel={onDone} />
    </form>
  );
}
