/** The closed set of error codes (http-api.md), plus bus-side codes. */
export const APP_ERROR_CODES = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  ORDER_NOT_AVAILABLE: 409,
  ORDER_NOT_CANCELLABLE: 409,
  INVALID_TRANSITION: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_READY: 503,
  TRANSIENT: 503,
} as const;
export type AppErrorCode = keyof typeof APP_ERROR_CODES;

export interface FieldError {
  path: string;
  message: string;
}

/**
 * The one error type. HTTP maps it to problem+json by `status`; bus consumers use `retryable`
 * to choose between retry with backoff and the dead-letter topic.
 */
export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly errors: FieldError[] | undefined;

  constructor(
    code: AppErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown; errors?: FieldError[]; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? APP_ERROR_CODES[code];
    this.retryable = options.retryable ?? code === 'TRANSIENT';
    this.errors = options.errors;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

/** True when an error is worth retrying: our own transient errors, and connection-level failures. */
export function isRetryable(err: unknown): boolean {
  if (isAppError(err)) return err.retryable;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // Node network errors and PostgreSQL connection / serialization / lock failures.
    if (/^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)/.test(code)) return true;
    if (/^(08|40001|40P01|57P0|53)/.test(code)) return true;
  }
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /Kafka(JS)?(Connection|Request|NumberOfRetriesExceeded|Timeout)/.test(name);
}
