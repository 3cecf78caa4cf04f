import { randomUUID } from 'node:crypto';
import type { TypedMessage } from '@campusg/contracts';
import type { Sql } from '@campusg/platform';
import { describe, expect, it } from 'vitest';
import { sagaMessage } from '../../../test/support/handler-context.ts';
import { RunTogether } from '../src/run-together.ts';

const tx: Sql = { query: async () => [], exec: async () => {} };
const now = new Date();

/** A `RunTogether` over start_order_timer that records each run's order ids, and answers each with its deadline. */
function starts() {
  const runs: string[][] = [];
  const together = new RunTogether<string>({
    type: 'start_order_timer',
    async run(_tx, messages) {
      const ids = messages.map((m) => (m as TypedMessage<'start_order_timer'>).payload.order_id);
      runs.push(ids);
      return new Map(messages.map((m) => [(m as TypedMessage<'start_order_timer'>).payload.order_id.toLowerCase(), m.message_id]));
    },
  });
  return { together, runs };
}

const start = (orderId: string) => sagaMessage('start_order_timer', { order_id: orderId, timeout_at: now.toISOString() });
const stop = (orderId: string) => sagaMessage('stop_order_timer', { order_id: orderId, reason: 'ACCEPTED' });

/** Asks for each message of `batch` in turn, as its handlers would; the results, by message. */
async function handle(together: RunTogether<string>, batch: TypedMessage[]) {
  const results: (string | undefined)[] = [];
  for (const m of batch) if (m.type === 'start_order_timer') results.push(await together.for({ tx, batch, now }, m));
  return results;
}

describe('RunTogether: one statement for the messages of a type that no other message of the transaction touches', () => {
  const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

  it('the first handler runs it for every message of the type; the others find their result', async () => {
    const { together, runs } = starts();
    const batch = [start(a), stop(d), start(b), start(c.toUpperCase())];
    const results = await handle(together, batch);
    expect(runs).toEqual([[a, b, c.toUpperCase()]]);
    expect(results).toEqual([batch[0]!.message_id, batch[2]!.message_id, batch[3]!.message_id]);
  });

  it('a message whose order another message names waits for its own turn, and runs then', async () => {
    const { together, runs } = starts();
    // b is stopped before its start comes: b's start must run after the stop, not ahead with a's.
    const batch = [start(a), stop(b), start(b), start(c)];
    await handle(together, batch);
    expect(runs).toEqual([[a, c], [b]]);
  });

  it('two copies of one message each run in their turn, and each gets its own result', async () => {
    const { together, runs } = starts();
    const first = start(a);
    // Decoded from two records: two objects, one message id.
    const batch = [first, start(b), { ...first }];
    const results = await handle(together, batch);
    expect(runs).toEqual([[a, b], [a]]);
    expect(results).toEqual([first.message_id, batch[1]!.message_id, first.message_id]);
  });

  it('a transaction of one message, or a handler given no batch, runs it for that message alone', async () => {
    const { together, runs } = starts();
    const m = start(a);
    expect(await together.for({ tx, now }, m)).toBe(m.message_id);
    const other: Sql = { query: async () => [], exec: async () => {} };
    const alone = start(b);
    await together.for({ tx: other, batch: [alone], now }, alone);
    expect(runs).toEqual([[a], [b]]);
  });

  it('refuses a message of another type', async () => {
    const { together } = starts();
    await expect(together.for({ tx, batch: [stop(a)], now }, stop(a))).rejects.toThrow(/is not start_order_timer/);
  });
});
