import { randomUUID } from 'node:crypto';
import type { Sql } from '@campusg/platform';
import { describe, expect, it } from 'vitest';
import { sagaMessage } from '../../../test/support/handler-context.ts';
import { ReadTogether } from '../src/read-together.ts';

interface User {
  id: string;
  name: string;
}

/** A transaction that answers the users' read from `stored`, and records the keys of every read. */
function transaction(stored: User[]): { tx: Sql; reads: string[][] } {
  const reads: string[][] = [];
  const tx: Sql = {
    query: async <T>(_text: string, params?: unknown[]) => {
      const keys = params![0] as string[];
      reads.push(keys);
      return stored.filter((u) => keys.includes(u.id.toLowerCase())) as T[];
    },
    exec: async () => {},
  };
  return { tx, reads };
}

const users = new ReadTogether<User>({
  keyOf: (m) => (m.type === 'get_payment_info' ? (m.payload as { user_id: string }).user_id : undefined),
  read: (tx, ids) => tx.query<User>('select * from users where id = any($1)', [ids]),
  keyOfRow: (u) => u.id,
});

const ask = (userId: string) => sagaMessage('get_payment_info', { user_id: userId });

describe('ReadTogether: the rows handlers read by key, read once for their whole transaction', () => {
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  const stored = [
    { id: a, name: 'Ann' },
    { id: b, name: 'Ben' },
  ];

  it("the first handler's read brings every key its transaction's messages name, each once, sorted", async () => {
    const { tx, reads } = transaction(stored);
    const batch = [ask(c), ask(b.toUpperCase()), ask(a), ask(b), sagaMessage('get_payout_info', { user_id: randomUUID() })];
    const rows = users.in({ tx, batch }, batch[0]!);

    expect(await rows.get(c)).toBeUndefined();
    expect(await rows.get(b)).toEqual({ id: b, name: 'Ben' });
    expect(await rows.get(a.toUpperCase())).toEqual({ id: a, name: 'Ann' });
    expect(reads).toEqual([[a, b, c].sort()]);
    // Every handler of the transaction gets the same rows.
    expect(users.in({ tx, batch }, batch[3]!)).toBe(rows);
  });

  it('a key no message named is read on its own; another transaction reads for itself', async () => {
    const { tx, reads } = transaction(stored);
    const batch = [ask(a)];
    const rows = users.in({ tx, batch }, batch[0]!);
    await rows.get(a);
    expect(await rows.get(b)).toEqual({ id: b, name: 'Ben' });
    expect(rows.has(c)).toBe(false);
    // What was read is at hand without another read; what was not is refused, not guessed.
    expect(rows.read(b)).toEqual({ id: b, name: 'Ben' });
    expect(() => rows.read(c)).toThrow(/not read/);
    expect(reads).toEqual([[a], [b]]);

    const other = transaction(stored);
    expect(users.in({ tx: other.tx, batch }, batch[0]!)).not.toBe(rows);
  });

  it('without a batch, a handler reads its own message key', async () => {
    const { tx, reads } = transaction(stored);
    const message = ask(b);
    expect(await users.in({ tx }, message).get(b)).toEqual({ id: b, name: 'Ben' });
    expect(reads).toEqual([[b]]);
  });
});
