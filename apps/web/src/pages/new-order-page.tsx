import type { CreateOrderBody } from '@campusg/contracts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { describeError, Notice } from '../components/feedback.tsx';
import { FormField, TextField } from '../components/field.tsx';
import { money, parseDollars, sentence, uuid } from '../lib/format.ts';
import {
  emptyDraft,
  fieldLabel,
  INSTRUCTIONS_MAX,
  ITEMS_MAX,
  type ItemDraft,
  newItem,
  type OrderDraft,
  validateDraft,
} from '../lib/order-draft.ts';
import { useUser } from '../session.ts';

const OUTLETS = ['Koufu', 'Starbucks', 'Subway', 'Guzman y Gomez', 'Kopitiam', 'Mr Bean'];

export function NewOrderPage() {
  const user = useUser();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<OrderDraft>(emptyDraft);
  const [touched, setTouched] = useState<Set<string>>(() => new Set());
  // One Idempotency-Key per distinct order: a double click or a retry of the same body reuses it.
  const idempotency = useRef<{ body: string; key: string } | null>(null);

  const { errors, body, foodCents } = validateDraft(draft);
  const feeCents = parseDollars(draft.deliveryFee) ?? 0;

  const place = useMutation({
    mutationFn: (order: CreateOrderBody) => {
      const json = JSON.stringify(order);
      if (idempotency.current?.body !== json) idempotency.current = { body: json, key: uuid() };
      return api.orders.create(order, idempotency.current.key);
    },
    onSuccess: ({ orderId }) => navigate(`/orders/${orderId}`, { state: { placed: true } }),
  });
  const serverErrors = isApiError(place.error) ? place.error.fields : {};

  const update = (patch: Partial<OrderDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const updateItem = (key: string, patch: Partial<ItemDraft>) =>
    setDraft((d) => ({ ...d, items: d.items.map((item) => (item.key === key ? { ...item, ...patch } : item)) }));
  const touch = (path: string) => setTouched((t) => (t.has(path) ? t : new Set(t).add(path)));
  /** The error to show under a field: once it has been visited, or when the server named it. */
  const errorFor = (path: string): string | undefined => {
    const server = serverErrors[path];
    if (server) return sentence(server);
    return touched.has(path) ? errors[path] : undefined;
  };

  const missing = Object.keys(errors).map(fieldLabel);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!body || !user.card || place.isPending) return;
    place.mutate(body);
  };

  return (
    <>
      <title>New order · CampusG</title>
      <div className="page-head">
        <h1>New order</h1>
        <p className="muted">Tell a runner what to buy and where to bring it.</p>
      </div>
      <form className="order-form" onSubmit={submit} noValidate>
        <div className="order-form__main">
          <fieldset className="card">
            <legend className="card__legend">Store</legend>
            <div className="row row--fields">
              <TextField
                label="Store name"
                list="outlets"
                value={draft.storeName}
                onChange={(e) => update({ storeName: e.target.value })}
                onBlur={() => touch('store.name')}
                error={errorFor('store.name')}
              />
              <TextField
                label="Store location"
                placeholder="e.g. SMU Connexion L1"
                value={draft.storeLocation}
                onChange={(e) => update({ storeLocation: e.target.value })}
                onBlur={() => touch('store.location')}
                error={errorFor('store.location')}
              />
            </div>
            <datalist id="outlets">
              {OUTLETS.map((o) => (
                <option key={o} value={o} />
              ))}
            </datalist>
          </fieldset>

          <fieldset className="card">
            <legend className="card__legend">Items</legend>
            <ol className="items">
              {draft.items.map((item, i) => (
                <li key={item.key} className="items__row">
                  <TextField
                    fieldClassName="items__name"
                    label={<ItemLabel n={i + 1} visible="Item" spoken="name" />}
                    value={item.name}
                    onChange={(e) => updateItem(item.key, { name: e.target.value })}
                    onBlur={() => touch(`items[${i}].name`)}
                    error={errorFor(`items[${i}].name`)}
                  />
                  <TextField
                    fieldClassName="items__qty"
                    label={<ItemLabel n={i + 1} visible="Qty" spoken="quantity" />}
                    inputMode="numeric"
                    value={item.quantity}
                    onChange={(e) => updateItem(item.key, { quantity: e.target.value })}
                    onBlur={() => touch(`items[${i}].quantity`)}
                    error={errorFor(`items[${i}].quantity`)}
                  />
                  <TextField
                    fieldClassName="items__price"
                    label={<ItemLabel n={i + 1} visible="Price (S$)" spoken="price (S$)" />}
                    inputMode="decimal"
                    placeholder="0.00"
                    value={item.price}
                    onChange={(e) => updateItem(item.key, { price: e.target.value })}
                    onBlur={() => touch(`items[${i}].priceCents`)}
                    error={errorFor(`items[${i}].priceCents`)}
                  />
                  <button
                    type="button"
                    className="icon-button items__remove"
                    aria-label={`Remove item ${i + 1}`}
                    title="Remove item"
                    disabled={draft.items.length === 1}
                    onClick={() => setDraft((d) => ({ ...d, items: d.items.filter((x) => x.key !== item.key) }))}
                  >
                    <span aria-hidden="true">✕</span>
                  </button>
                </li>
              ))}
            </ol>
            {errorFor('items') && <p className="field__error">{errorFor('items')}</p>}
            <button
              type="button"
              className="button button--secondary"
              disabled={draft.items.length >= ITEMS_MAX}
              onClick={() => setDraft((d) => ({ ...d, items: [...d.items, newItem()] }))}
            >
              + Add item
            </button>
          </fieldset>

          <fieldset className="card">
            <legend className="card__legend">Delivery</legend>
            <div className="row row--fields">
              <TextField
                label="Building"
                placeholder="e.g. SCIS 1"
                value={draft.building}
                onChange={(e) => update({ building: e.target.value })}
                onBlur={() => touch('deliveryLocation.building')}
                error={errorFor('deliveryLocation.building')}
              />
              <TextField
                label="Room"
                placeholder="e.g. GSR 2-4"
                value={draft.room}
                onChange={(e) => update({ room: e.target.value })}
                onBlur={() => touch('deliveryLocation.room')}
                error={errorFor('deliveryLocation.room')}
              />
              <TextField
                label="Delivery fee (S$)"
                inputMode="decimal"
                value={draft.deliveryFee}
                onChange={(e) => update({ deliveryFee: e.target.value })}
                onBlur={() => touch('deliveryFeeCents')}
                error={errorFor('deliveryFeeCents')}
                hint="S$1.00 to S$50.00, paid to your runner."
              />
            </div>
            <FormField
              label="Instructions (optional)"
              error={errorFor('instructions') ?? (draft.instructions.length > INSTRUCTIONS_MAX ? errors.instructions : undefined)}
              hint={
                <span className={draft.instructions.length > INSTRUCTIONS_MAX ? 'counter counter--over' : 'counter'} aria-live="polite">
                  {draft.instructions.length}/{INSTRUCTIONS_MAX} characters
                </span>
              }
            >
              {(control) => (
                <textarea
                  className="input"
                  rows={3}
                  placeholder="e.g. No chilli, please. Call when you are at the lobby."
                  value={draft.instructions}
                  onChange={(e) => update({ instructions: e.target.value })}
                  onBlur={() => touch('instructions')}
                  {...control}
                />
              )}
            </FormField>
          </fieldset>
        </div>

        <aside className="order-form__summary card" aria-labelledby="summary-title">
          <h2 id="summary-title">Summary</h2>
          <dl className="totals">
            <div>
              <dt>Food</dt>
              <dd>{money(foodCents)}</dd>
            </div>
            <div>
              <dt>Delivery fee</dt>
              <dd>{money(feeCents)}</dd>
            </div>
            <div className="totals__total">
              <dt>Total</dt>
              <dd data-testid="order-total">{money(foodCents + feeCents)}</dd>
            </div>
          </dl>
          <p className="muted small">The total is held on your card when you order and charged only when your food is delivered.</p>
          <div id="order-status" className="submit-status" aria-live="polite">
            {!user.card && (
              <Notice tone="warning">
                You need a card to order. <Link to="/profile">Add a card in your profile</Link>.
              </Notice>
            )}
            {missing.length > 0 ? (
              <p className="muted">Still needed: {missing.join(', ')}.</p>
            ) : (
              user.card && <p className="ready">Ready to order.</p>
            )}
          </div>
          {place.error && !Object.keys(serverErrors).length && (
            <Notice tone="danger" alert>
              {describeError(place.error)}
            </Notice>
          )}
          <button
            type="submit"
            className="button button--block button--large"
            aria-describedby="order-status"
            disabled={!body || !user.card || place.isPending}
          >
            {place.isPending ? 'Placing order…' : `Place order${body ? ` · ${money(foodCents + body.deliveryFeeCents)}` : ''}`}
          </button>
        </aside>
      </form>
    </>
  );
}

/** Shows a short column label while the accessible name says which row it is ("Item 2 quantity"). */
function ItemLabel({ n, visible, spoken }: { n: number; visible: string; spoken: string }) {
  return (
    <>
      <span aria-hidden="true">{visible}</span>
      <span className="visually-hidden">
        Item {n} {spoken}
      </span>
    </>
  );
}
