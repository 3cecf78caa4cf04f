import { z } from 'zod';

/**
 * Every `code` a problem+json body can carry, with the HTTP status it answers with (docs/http-api.md,
 * Errors). The one list of public codes: the platform's `AppError` builds its closed set on it.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  EMAIL_TAKEN: 409,
  INVALID_CREDENTIALS: 401,
  ORDER_NOT_AVAILABLE: 409,
  ORDER_NOT_CANCELLABLE: 409,
  INVALID_TRANSITION: 409,
  ALREADY_RATED: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  NOT_READY: 503,
  OVERLOADED: 503,
  INTERNAL: 500,
} as const satisfies Record<string, number>;

/** The codes of `ERROR_STATUS`, in the order the contract lists them. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
export type ErrorCode = keyof typeof ERROR_STATUS;

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
