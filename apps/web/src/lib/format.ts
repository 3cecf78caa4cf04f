/** Cents as Singapore dollars: 1250 → "S$12.50". */
export const money = (cents: number): string => `S$${(cents / 100).toFixed(2)}`;

/**
 * A dollar amount typed by a user ("4.5", "4.50", "12") as cents, or null when it is not a
 * plain non-negative amount with at most two decimals.
 */
export function parseDollars(input: string): number | null {
  const value = input.trim();
  if (!/^\d{1,6}(\.\d{0,2})?$/.test(value)) return null;
  const [whole = '0', fraction = ''] = value.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** "14:05" for today, "26 Nov, 14:05" otherwise. */
export function when(iso: string, now = new Date()): string {
  const date = new Date(iso);
  return date.toDateString() === now.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/** A short reference for an order id, as people read it out: "#3F2A91". */
export const orderRef = (id: string): string => `#${id.replace(/-/g, '').slice(0, 6).toUpperCase()}`;

/** A random UUID v4; `crypto.randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** "Must be …" from a contract message ("must be …"), for showing under a labelled field. */
export const sentence = (message: string): string => message.charAt(0).toUpperCase() + message.slice(1);
