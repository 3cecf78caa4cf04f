/**
 * A UUID (RFC 9562 version 8, name-based) derived from `name` alone: the same name always gives
 * the same id. Pure JavaScript, so workflow code can call it; not a cryptographic hash, which an id
 * that only has to be unique per saga does not need.
 */
export function nameBasedUuid(name: string): string {
  // cyrb128: four 32-bit lanes mixed over the UTF-16 code units.
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < name.length; i++) {
    const k = name.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  const hex = [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The `message_id` of a command a saga workflow sends: derived from the workflow (the saga id), the
 * step or compensation, its attempt and the saga's count of sends (an operator's retry starts the
 * attempts again). An activity retried with it sends the same id, which every consumer's inbox
 * drops as a duplicate.
 */
export const commandMessageId = (workflowId: string, send: { step: string; kind: string; attempt: number }, seq: number): string =>
  nameBasedUuid(`${workflowId}|${send.kind}|${send.step}|${send.attempt}|${seq}`);
