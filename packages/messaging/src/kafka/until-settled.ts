import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { isRetriable } from './error-types.ts';

/**
 * Runs a setup call again while Kafka answers with a retriable error — e.g. a topic another process
 * has just created whose metadata the broker does not serve yet ("This server does not host this
 * topic-partition") — for up to about half a minute, then gives up with the last error.
 */
export function untilSettled<T>(fn: () => Promise<T>, log: Logger, what: string): Promise<T> {
  return pRetry(fn, {
    retries: 8,
    minTimeout: 200,
    maxTimeout: 5000,
    shouldRetry: ({ error }) => isRetriable(error),
    onFailedAttempt: ({ error, attemptNumber }) => log.warn({ err: error, attempt: attemptNumber }, `kafka: ${what} failed; trying again`),
  });
}
