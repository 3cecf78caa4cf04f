import { z } from 'zod';

/**
 * Field builders shared by the HTTP schemas. Every message is written to follow its path, so a
 * validation problem reads `items[0].quantity must be an integer between 1 and 99`.
 * Internal to the http folder: not re-exported from the package.
 */

type Issue = { input?: unknown };

/** The type error of a field: `is required` when missing, `must be <expected>` otherwise. */
export const typeError = (expected: string) => (issue: Issue) => (issue.input === undefined ? 'is required' : `must be ${expected}`);

/** An integer in [min, max]; `coerce` accepts query-string numbers. */
export function intBetween(min: number, max: number, options: { coerce?: boolean } = {}) {
  const range = `an integer between ${min} and ${max}`;
  const message = `must be ${range}`;
  const base = options.coerce ? z.coerce.number({ error: typeError(range) }) : z.number({ error: typeError(range) });
  return base.int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

/** A trimmed string of min..max characters (length counted after trimming). */
export function text(min: number, max: number) {
  return z
    .string({ error: typeError('a string') })
    .trim()
    .min(min, { error: min === 1 ? 'must not be empty' : `must be at least ${min} characters` })
    .max(max, { error: `must be at most ${max} characters` });
}

/** One of a fixed set of strings. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: typeError(`one of ${values.join(', ')}`) });

/** Money in responses: a non-negative integer number of cents. */
export const cents = z.number().int().min(0);

/** A UUID (every id of the API). */
export const uuid = z.uuid({ error: typeError('a UUID') });

/** An ISO-8601 UTC timestamp, as every response carries them. */
export const isoTime = z.iso.datetime();
