/** An error as the Kafka client reports it: a protocol error's id, a retry hint, causes and aggregated errors. */
interface KafkaError {
  apiId?: unknown;
  canRetry?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** `err`, its causes and the errors it aggregates, depth first (bounded). */
function* nested(err: unknown, depth = 0): Generator<KafkaError> {
  if (!err || typeof err !== 'object' || depth > 5) return;
  const e = err as KafkaError;
  yield e;
  yield* nested(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* nested(inner, depth + 1);
}

/** Does `err`, or an error inside it, carry a Kafka protocol error of `types` (e.g. `UNKNOWN_MEMBER_ID`)? */
export function hasErrorType(err: unknown, types: Set<string>): boolean {
  for (const e of nested(err)) if (typeof e.apiId === 'string' && types.has(e.apiId)) return true;
  return false;
}

/** Client codes of a broker that could not be reached or did not answer in time. */
const UNREACHABLE = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

/**
 * Is `err` worth another attempt: the broker unreachable, or an answer the protocol marks retriable
 * (a topic created a moment ago whose leader is not elected yet, a coordinator still loading)?
 */
export function isRetriable(err: unknown): boolean {
  for (const e of nested(err)) if (e.canRetry === true || (typeof e.code === 'string' && UNREACHABLE.has(e.code))) return true;
  return false;
}
