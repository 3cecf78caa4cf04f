import { z } from 'zod';
import { cardView } from './card.ts';
import { isoTime, text, typeError, uuid } from './fields.ts';

/** The roles a user can hold; every user is a `customer`. */
export const ROLES = ['customer', 'runner'] as const;
export type Role = (typeof ROLES)[number];

/** An email address, trimmed and lower-cased before checking, at most 254 characters. */
export const emailField = z
  .string({ error: typeError('a string') })
  .trim()
  .toLowerCase()
  .max(254, { error: 'must be at most 254 characters', abort: true })
  .regex(z.regexes.email, { error: 'must be a valid email address' });

/** `POST /api/auth/register`. */
export const registerBody = z.object({
  email: emailField,
  password: z
    .string({ error: typeError('a string') })
    .min(8, { error: 'must be between 8 and 128 characters' })
    .max(128, { error: 'must be between 8 and 128 characters' }),
  name: text(1, 100),
});
export type RegisterBody = z.infer<typeof registerBody>;

/** `POST /api/auth/login`. */
export const loginBody = z.object({
  email: emailField,
  password: z
    .string({ error: typeError('a string') })
    .min(1, { error: 'must not be empty' })
    .max(128, { error: 'must be at most 128 characters' }),
});
export type LoginBody = z.infer<typeof loginBody>;

/** The User object (`GET /api/me` and friends). */
export const userSchema = z.object({
  id: uuid,
  email: z.string(),
  name: z.string(),
  roles: z.array(z.enum(ROLES)),
  card: cardView.nullable(),
  phone: z.string().nullable(),
  createdAt: isoTime,
});
export type User = z.infer<typeof userSchema>;

/** The answer to register and login. */
export const authResponse = z.object({ token: z.string().min(1), user: userSchema });
export type AuthResponse = z.infer<typeof authResponse>;
