/**
 * How a failure is classified for retrying. Two questions with different answers:
 * - `isInfrastructureError`: the database or the broker is unreachable. A consumer retries such a
 *   failure without limit, since giving up would lose the message.
 * - `isRetryable`: worth another attempt, within the consumer's attempt budget: our own transient
 *   errors, connection-level failures, serialization and deadlock aborts, and the Kafka client's
 *   network and timeout errors. Anything else goes to the dead-letter topic at once.
 */
import { isAppError } from './errors.ts';

/** Node network errors, and PostgreSQL connection (`08`), shutdown (`57P0`) and resource (`53`) failures. */
const CONNECTION_CODE = /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|08|57P0|53)/;
/** PostgreSQL serialization failure and deadlock: the transaction may succeed when run again. */
const CONCURRENCY_CODE = /^(40001|40P01)/;
/** What node-postgres says when it loses, or cannot open, a connection. */
const CONNECTION_MESSAGE =
  /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error/i;
/** The Kafka client's codes for a broker it could not reach, or that did not answer in time. */
const KAFKA_UNREACHABLE_CODE = /^PLT_KFK_(NETWORK|TIMEOUT)$/;

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/** True when the database or broker is unreachable: retried without limit, since giving up would lose the message. */
export function isInfrastructureError(err: unknown): boolean {
  const code = codeOf(err);
  if (typeof code === 'string' && CONNECTION_CODE.test(code)) return true;
  const message = (err as Error | null)?.message ?? '';
  return CONNECTION_MESSAGE.test(message);
}

/** True when an error is worth retrying: our own transient errors, and connection-level failures. */
export function isRetryable(err: unknown): boolean {
  if (isAppError(err)) return err.retryable;
  const code = codeOf(err);
  if (typeof code === 'string' && (CONNECTION_CODE.test(code) || CONCURRENCY_CODE.test(code) || KAFKA_UNREACHABLE_CODE.test(code)))
    return true;
  // The Kafka client gathers the failures of a request it tried several times.
  const errors = (err as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => isRetryable(e));
}
