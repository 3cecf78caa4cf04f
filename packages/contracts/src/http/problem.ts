import { z } from 'zod';

/** Every `code` a problem+json body can carry (http-api.md, Errors). */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'EMAIL_TAKEN',
  'INVALID_CREDENTIALS',
  'ORDER_NOT_AVAILABLE',
  'ORDER_NOT_CANCELLABLE',
  'INVALID_TRANSITION',
  'IDEMPOTENCY_KEY_REUSED',
  'RATE_LIMITED',
  'NOT_READY',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One invalid field of a request: `{path: "items[0].quantity", message: "must be …"}`. */
export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });
export type FieldErrorView = z.infer<typeof fieldErrorSchema>;

/** The `application/problem+json` body of every 4xx/5xx answer. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  code: z.enum(ERROR_CODES),
  detail: z.string().optional(),
  errors: z.array(fieldErrorSchema).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

/** Renders an issue path the way the contract shows it: `['items', 0, 'quantity']` → `items[0].quantity`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    return out === '' ? name : `${out}.${name}`;
  }, '');
}

/** The `errors` of a validation problem, one per zod issue. */
export function fieldErrors(error: z.ZodError): FieldErrorView[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
}
