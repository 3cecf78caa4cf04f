import type { CreateOrderBody, Order } from '@campusg/contracts';
import { parseDollars, uuid } from './format.ts';

/** The new-order form as typed: strings, so half-typed numbers survive re-renders. */
export interface ItemDraft {
  key: string;
  name: string;
  quantity: string;
  price: string;
}

export interface OrderDraft {
  storeName: string;
  storeLocation: string;
  items: ItemDraft[];
  deliveryFee: string;
  building: string;
  room: string;
  instructions: string;
}

export const INSTRUCTIONS_MAX = 200;
export const ITEMS_MAX = 50;

export const newItem = (): ItemDraft => ({ key: uuid(), name: '', quantity: '1', price: '' });

export const emptyDraft = (): OrderDraft => ({
  storeName: '',
  storeLocation: '',
  items: [newItem()],
  deliveryFee: '3.00',
  building: '',
  room: '',
  instructions: '',
});

const dollars = (cents: number): string => (cents / 100).toFixed(2);

/** "Order again": a past order's store, items, fee and delivery place as a new draft. */
export const draftFromOrder = (order: Order): OrderDraft => ({
  storeName: order.store.name,
  storeLocation: order.store.location,
  items: order.items.map((i) => ({ key: uuid(), name: i.name, quantity: String(i.quantity), price: dollars(i.priceCents) })),
  deliveryFee: dollars(order.deliveryFeeCents),
  building: order.deliveryLocation.building,
  room: order.deliveryLocation.room,
  instructions: order.instructions ?? '',
});

/** Field paths are the contract's (`items[0].quantity`), so server errors land on the same fields. */
export type FieldErrors = Record<string, string>;

/** Human names of the fields, for the "still needed" message by the submit button. */
export function fieldLabel(path: string): string {
  const item = /^items\[(\d+)\]\.(\w+)$/.exec(path);
  if (item) {
    const what = { name: 'name', quantity: 'quantity', priceCents: 'price' }[item[2] as 'name' | 'quantity' | 'priceCents'] ?? item[2];
    return `item ${Number(item[1]) + 1} ${what}`;
  }
  const labels: Record<string, string> = {
    'store.name': 'store name',
    'store.location': 'store location',
    items: 'items',
    deliveryFeeCents: 'delivery fee',
    'deliveryLocation.building': 'building',
    'deliveryLocation.room': 'room',
    instructions: 'instructions',
  };
  return labels[path] ?? path;
}

function requiredText(errors: FieldErrors, path: string, value: string, max: number, what: string): string {
  const text = value.trim();
  if (text === '') errors[path] = `Enter the ${what}.`;
  else if (text.length > max) errors[path] = `Use at most ${max} characters.`;
  return text;
}

/**
 * Checks the draft against the limits of `POST /api/orders` (http-api.md) and builds the request
 * body. Money is typed in dollars and sent in cents.
 */
export function validateDraft(draft: OrderDraft): { errors: FieldErrors; body: CreateOrderBody | null; foodCents: number } {
  const errors: FieldErrors = {};
  const store = {
    name: requiredText(errors, 'store.name', draft.storeName, 100, 'store name'),
    location: requiredText(errors, 'store.location', draft.storeLocation, 200, 'store location'),
  };
  let foodCents = 0;
  const items = draft.items.map((item, i) => {
    const name = requiredText(errors, `items[${i}].name`, item.name, 100, 'item name');
    const quantity = /^\d+$/.test(item.quantity.trim()) ? Number(item.quantity) : Number.NaN;
    if (!(quantity >= 1 && quantity <= 99)) errors[`items[${i}].quantity`] = 'Enter a whole number from 1 to 99.';
    const priceCents = item.price.trim() === '' ? null : parseDollars(item.price);
    if (priceCents === null) errors[`items[${i}].priceCents`] = item.price.trim() === '' ? 'Enter the price.' : 'Enter a price like 4.50.';
    else if (priceCents > 100_000) errors[`items[${i}].priceCents`] = 'Prices go up to S$1000.00.';
    if (Number.isFinite(quantity) && priceCents !== null) foodCents += quantity * priceCents;
    return { name, quantity, priceCents: priceCents ?? 0 };
  });
  if (items.length === 0) errors.items = 'Add at least one item.';
  if (items.length > ITEMS_MAX) errors.items = `An order has at most ${ITEMS_MAX} items.`;
  const deliveryFeeCents = parseDollars(draft.deliveryFee);
  if (deliveryFeeCents === null || deliveryFeeCents < 100 || deliveryFeeCents > 5000) {
    errors.deliveryFeeCents = 'Enter a fee from S$1.00 to S$50.00.';
  }
  const deliveryLocation = {
    building: requiredText(errors, 'deliveryLocation.building', draft.building, 100, 'building'),
    room: requiredText(errors, 'deliveryLocation.room', draft.room, 50, 'room'),
  };
  const instructions = draft.instructions.trim();
  // The counter shows what was typed, so the limit is checked on that too.
  if (draft.instructions.length > INSTRUCTIONS_MAX) errors.instructions = `Use at most ${INSTRUCTIONS_MAX} characters.`;
  const valid = Object.keys(errors).length === 0;
  return {
    errors,
    foodCents,
    body: valid ? { store, items, deliveryFeeCents: deliveryFeeCents!, deliveryLocation, instructions: instructions || null } : null,
  };
}
