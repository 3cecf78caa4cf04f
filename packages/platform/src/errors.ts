import { ERROR_STATUS } from '@campusg/contracts';

/**
 * The closed set of error codes: the public ones of the HTTP contract (`ERROR_STATUS`), plus two
 * that only travel inside the platform. `CONFLICT` answers as `INVALID_TRANSITION` and `TRANSIENT`
 * (retryable) as `NOT_READY`.
 */
export const APP_ERROR_CODES = {
  ...ERROR_STATUS,
  CONFLICT: 409,
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
