/** What the conformance tests build on: records with identities, a collecting consumer, waits. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchHandler, ConsumedRecord, OutgoingRecord } from '@campusg/messaging';

/** A short random suffix for topic and group names, so tests never share them. */
export const random = () => Math.random().toString(36).slice(2, 10);

/** A promise with its resolver at hand, for handlers a test holds up. */
export class Deferred<T = void> {
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  readonly promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

/** Polls observable state until `predicate` holds. Used to wait on outcomes, never as the thing under test. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Rejects with a clear message when `promise` does not settle within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not complete within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The identity the suite gives a record: `<key>#<seq>`, carried in the value and a header. */
export interface Sent {
  id: string;
  key: string;
  seq: number;
}

/** The records of `sent` for `topic`, keyed, each carrying its id in a header. */
export function records(topic: string, sent: Sent[]): OutgoingRecord[] {
  return sent.map((s) => ({ topic, key: s.key, value: JSON.stringify({ id: s.id, seq: s.seq }), headers: { 'conf-id': s.id } }));
}

/** `perKey` records for each key, ids `<prefix><key>#<seq>`. */
export function makeSent(keys: string[], perKey: number, prefix = ''): Sent[] {
  // Interleaved across keys (k0#0, k1#0, …, k0#1, …), the order a busy producer writes in.
  const out: Sent[] = [];
  for (let seq = 0; seq < perKey; seq++) for (const key of keys) out.push({ id: `${prefix}${key}#${seq}`, key, seq });
  return out;
}

/** The id the suite gave a record. */
export const idOf = (r: ConsumedRecord): string => r.headers['conf-id'] ?? `?${r.value}`;

/**
 * Records what a consumer gets. `received` has every delivery (duplicates included), `handled` the
 * deliveries of batches the handler completed; `problems` lists violations of the batch contract
 * (one partition per batch, ascending offsets).
 */
export class Collector {
  readonly received: ConsumedRecord[] = [];
  readonly handled: ConsumedRecord[] = [];
  readonly problems: string[] = [];
  batches = 0;
  /** Runs inside the handler, after the batch is recorded in `received`; may throw or wait. */
  hook: ((batch: ConsumedRecord[], n: number) => Promise<void> | void) | undefined;

  readonly handle: BatchHandler = async (batch) => {
    const n = this.batches++;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      if (r.topic !== batch[0]!.topic || r.partition !== batch[0]!.partition) this.problems.push(`batch ${n} mixes partitions`);
      if (i > 0 && r.offset <= batch[i - 1]!.offset) this.problems.push(`batch ${n} offsets not ascending`);
    }
    this.received.push(...batch);
    await this.hook?.(batch, n);
    this.handled.push(...batch);
  };

  receivedIds(): Set<string> {
    return new Set(this.received.map(idOf));
  }
  handledIds(): Set<string> {
    return new Set(this.handled.map(idOf));
  }
  has(ids: Iterable<string>, from: 'received' | 'handled' = 'handled'): boolean {
    const set = from === 'received' ? this.receivedIds() : this.handledIds();
    for (const id of ids) if (!set.has(id)) return false;
    return true;
  }
}

/**
 * Per key: the sequence numbers in delivery order. New records must come in order and without gaps;
 * a record may come again (redelivery) but then only one already delivered.
 */
export function orderViolations(delivered: ConsumedRecord[]): string[] {
  const byKey = new Map<string, number[]>();
  for (const r of delivered) {
    const { seq } = JSON.parse(r.value) as { seq: number };
    const k = r.key ?? '';
    const list = byKey.get(k) ?? [];
    list.push(seq);
    byKey.set(k, list);
  }
  const problems: string[] = [];
  for (const [key, seqs] of byKey) {
    let max = -1;
    for (const s of seqs) {
      if (s > max + 1) problems.push(`key ${key}: got #${s} before #${max + 1}`);
      max = Math.max(max, s);
    }
  }
  return problems;
}
