/** Does `err` or one of its causes carry a Kafka error type of `types`? */
export function hasErrorType(err: unknown, types: Set<string>): boolean {
  for (let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.type === 'string' && types.has(e.type)) return true;
  }
  return false;
}
