import { z } from 'zod';
import { intBetween } from './fields.ts';

/** Card brands recognised from the number's prefix. */
export const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'discover', 'unknown'] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];

/** True when a digit string passes the Luhn checksum; false for anything that is not 2+ digits. */
export function luhnValid(number: string): boolean {
  if (!/^\d{2,}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The brand of a card number from its prefix (IIN ranges). */
export function cardBrand(number: string): CardBrand {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(number)) return 'discover';
  return 'unknown';
}

/**
 * True when the card has expired at `now`. A card is valid through the last day of its expiry
 * month (UTC). The clock is injected: this stays pure, the user service passes its clock.
 */
export function isCardExpired(expMonth: number, expYear: number, now: Date): boolean {
  const currentYear = now.getUTCFullYear();
  const currentMonth = now.getUTCMonth() + 1;
  return expYear < currentYear || (expYear === currentYear && expMonth < currentMonth);
}

/**
 * `PUT /api/me/card`. Spaces in the number are removed before checking, then it must be 12–19
 * digits passing Luhn. The not-expired check needs the clock: the service applies `isCardExpired`.
 */
export const cardBody = z.object({
  number: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .overwrite((value) => value.replace(/ /g, ''))
    .regex(/^\d{12,19}$/, { error: 'must be 12 to 19 digits', abort: true })
    .refine(luhnValid, { error: 'must pass the Luhn check' }),
  expMonth: intBetween(1, 12),
  expYear: intBetween(2000, 2100),
  cvc: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .regex(/^\d{3,4}$/, { error: 'must be 3 or 4 digits' }),
});
export type CardBody = z.infer<typeof cardBody>;

/** The stored card as the User object shows it; never the full number or the CVC. */
export const cardView = z.object({
  brand: z.enum(CARD_BRANDS),
  last4: z.string().regex(/^\d{4}$/),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
});
export type Card = z.infer<typeof cardView>;
