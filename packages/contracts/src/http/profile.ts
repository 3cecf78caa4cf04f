import { z } from 'zod';
import { isoTime, text, typeError } from './fields.ts';

/** A phone number as people type it: 6–20 characters of digits, spaces, "+" and "-", with at least one digit. */
export const phoneField = z
  .string({ error: typeError('a string or null') })
  .trim()
  .min(6, { error: 'must be between 6 and 20 characters' })
  .max(20, { error: 'must be between 6 and 20 characters' })
  .regex(/^(?=.*\d)[\d +-]+$/, { error: 'may contain only digits, spaces, "+" and "-"' });

/** `PATCH /api/me`: the fields to change; `phone: null` removes the phone. */
export const profileBody = z.object({ name: text(1, 100).optional(), phone: phoneField.nullable().optional() });
export type ProfileBody = z.infer<typeof profileBody>;

/** `PUT /api/me/payout-account`: the sandbox bank account a runner is paid into. */
export const payoutAccountBody = z.object({
  accountNumber: z
    .string({ error: typeError('a string') })
    .trim()
    .regex(/^\d{6,20}$/, { error: 'must be 6 to 20 digits' }),
});
export type PayoutAccountBody = z.infer<typeof payoutAccountBody>;

/** `GET`/`PUT /api/me/payout-account`: `last4` is `null` for the account created on becoming a runner. */
export const payoutAccountView = z.object({ accountId: z.string(), last4: z.string().nullable(), updatedAt: isoTime });
export type PayoutAccountView = z.infer<typeof payoutAccountView>;

/** A person's rating: the mean of the stars they were given (`null` before the first) and how many. */
export const ratingSummary = z.object({ average: z.number().min(1).max(5).nullable(), count: z.number().int().min(0) });
export type RatingSummary = z.infer<typeof ratingSummary>;

/** `POST /api/orders/{id}/rating`. */
export const ratingBody = z.object({
  stars: z
    .number({ error: typeError('an integer between 1 and 5') })
    .int({ error: 'must be an integer between 1 and 5' })
    .min(1, { error: 'must be an integer between 1 and 5' })
    .max(5, { error: 'must be an integer between 1 and 5' }),
  comment: z
    .string({ error: typeError('a string') })
    .trim()
    .max(200, { error: 'must be at most 200 characters' })
    .optional(),
});
export type RatingBody = z.infer<typeof ratingBody>;

/** 201 of `POST /api/orders/{id}/rating`: the rating given, and the rated person's rating now. */
export const ratingView = z.object({
  orderId: z.uuid(),
  raterId: z.uuid(),
  rateeId: z.uuid(),
  stars: z.number().int().min(1).max(5),
  comment: z.string().nullable(),
  createdAt: isoTime,
  rateeRating: ratingSummary,
});
export type RatingView = z.infer<typeof ratingView>;
