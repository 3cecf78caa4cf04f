import type { CreateOrderBody, Order } from '@campusg/contracts';
import { useMutation } from '@tanstack/react-query';
import { type ChangeEvent, type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { retryWhileBusy } from '../api/busy-retry.ts';
import { api } from '../api/client.ts';
import { isApiError } from '../api/http.ts';
import { ErrorNotice, Notice } from '../components/feedback.tsx';
import { FormField, TextField } from '../components/field.tsx';
import { PageHead } from '../components/page-head.tsx';
import { money, parseDollars, sentence, uuid } from '../lib/format.ts';
import {
  draftFromOrder,
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
  // "Order again" on a past order brings it here to start from.
  const reorder = (useLocation().state as { reorder?: Order } | null)?.reorder;
  const [draft, setDraft] = useState<OrderDraft>(() => (reorder ? draftFromOrder(reorder) : emptyDraft()));
  const [touched, setTouched] = useState<Set<string>>(() => new Set());
  // One Idempotency-Key per distinct order: a double click or a retry of the same body reuses it.
  const idempotency = useRef<{ body: string; key: string } | null>(null);

  const { errors, body, foodCents } = validateDraft(draft);
  const feeCents = parseDollars(draft.deliveryFee) ?? 0;

  // While CampusG is busy (503 OVERLOADED) the order is sent again by itself, with the same key: when it waits.
  const [busy, setBusy] = useState<{ until: number } | null>(null);
  // Leaving the page stops the waiting and the trying.
  const leaving = useRef<AbortController | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    leaving.current = controller;
    return () => controller.abort();
  }, []);

  const place = useMutation({
    mutationFn: (order: CreateOrderBody) => {
      const json = JSON.stringify(order);
      if (idempotency.current?.body !== json) idempotency.current = { body: json, key: uuid() };
      const key = idempotency.current.key;
      return retryWhileBusy(() => api.orders.create(order, key), {
        signal: leaving.current?.signal,
        onBusy: ({ waitMs }) => setBusy({ until: Date.now() + waitMs }),
      });
    },
    onSettled: () => setBusy(null),
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

  /** What binds a text input to draft field `key`, whose errors the API names `path`. */
  const draftField = (key: Exclude<keyof OrderDraft, 'items' | 'instructions'>, path: string) => ({
    value: draft[key],
    onChange: (e: ChangeEvent<HTMLInputElement>) => update({ [key]: e.target.value }),
    onBlur: () => touch(path),
    error: errorFor(path),
  });
  /** The same for field `key` of item `i`, named `items[i].path` by the API. */
  const itemField = (item: ItemDraft, i: number, key: 'name' | 'quantity' | 'price', path: string) => ({
    value: item[key],
    onChange: (e: ChangeEvent<HTMLInputElement>) => updateItem(item.key, { [key]: e.target.value }),
    onBlur: () => touch(`items[${i}].${path}`),
    error: errorFor(`items[${i}].${path}`),
  });

  const missing = Object.keys(errors).map(fieldLabel);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!body || !user.card || place.isPending) return;
    place.mutate(body);
  };

  return (
    <>
      <PageHead title="New order" subtitle="Tell a runner what to buy and where to bring it." />
      {reorder && <Notice tone="info">Filled in from your order at {reorder.store.name}. Check it, then place it again.</Notice>}
      <form className="order-form" onSubmit={submit} noValidate>
        <div className="order-form__main">
          <fieldset className="card">
            <legend className="card__legend">Store</legend>
            <div className="row row--fields">
              <TextField label="Store name" list="outlets" {...draftField('storeName', 'store.name')} />
              <TextField label="Store location" placeholder="e.g. SMU Connexion L1" {...draftField('storeLocation', 'store.location')} />
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
                    {...itemField(item, i, 'name', 'name')}
                  />
                  <TextField
                    fieldClassName="items__qty"
                    label={<ItemLabel n={i + 1} visible="Qty" spoken="quantity" />}
                    inputMode="numeric"
                    {...itemField(item, i, 'quantity', 'quantity')}
                  />
                  <TextField
                    fieldClassName="items__price"
                    label={<ItemLabel n={i + 1} visible="Price (S$)" spoken="price (S$)" />}
                    inputMode="decimal"
                    placeholder="0.00"
                    {...itemField(item, i, 'price', 'priceCents')}
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
              <TextField label="Building" placeholder="e.g. SCIS 1" {...draftField('building', 'deliveryLocation.building')} />
              <TextField label="Room" placeholder="e.g. GSR 2-4" {...draftField('room', 'deliveryLocation.room')} />
              <TextField
                label="Delivery fee (S$)"
                inputMode="decimal"
                {...draftField('deliveryFee', 'deliveryFeeCents')}
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
          {busy && <BusyNotice until={busy.until} />}
          <ErrorNotice error={Object.keys(serverErrors).length ? null : place.error} />
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

/** The order is waiting for a busy CampusG: it will be sent again by itself, in a few seconds. */
function BusyNotice({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.ceil((until - now) / 1000));
  return (
    <Notice tone="warning" alert>
      CampusG is busy right now. Your order is not placed yet: trying again {seconds > 0 ? `in ${seconds} s` : 'now'}…
    </Notice>
  );
}
