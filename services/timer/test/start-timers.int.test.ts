import { randomUUID } from 'node:crypto';
import type { TypedMessage } from '@campusg/contracts';
import { type Db, migrate, openPglite } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleChunk } from '../../../test/support/chunk.ts';
import { sagaMessage } from '../../../test/support/handler-context.ts';
import { TIMER_SCHEMA, timerHandlers, timerMigrations } from '../src/index.ts';

describe('timer service: the timers a transaction starts are armed in one statement', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, TIMER_SCHEMA, timerMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 12, minutes)).toISOString();
  const start = (orderId: string, timeoutAt: string) => sagaMessage('start_order_timer', { order_id: orderId, timeout_at: timeoutAt });
  const stop = (orderId: string) => sagaMessage('stop_order_timer', { order_id: orderId, reason: 'CANCELLED' });
  const answers = (replies: TypedMessage[]) => replies.map((r) => [r.type, (r.payload as { order_id: string }).order_id]);
  const timer = async (orderId: string) =>
    (
      await db.query<{ status: string; timeout_at: Date }>('select status, timeout_at from timers.timers where order_id = $1', [orderId])
    )[0];

  it('three starts: one insert; each answered with its own deadline, a timer armed before with its first one', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await handleChunk(db, timerHandlers, [start(b, at(1))]);
    const { replies, counts } = await handleChunk(db, timerHandlers, [start(a, at(2)), start(b, at(9)), start(c, at(3))]);

    expect(answers(replies)).toEqual([
      ['timer.started', a],
      ['timer.started', b],
      ['timer.started', c],
    ]);
    expect(replies.map((r) => (r.payload as { timeout_at: string }).timeout_at)).toEqual([at(2), at(1), at(3)]);
    expect(counts.get('insert into timers.timers')).toBe(1);
    // b was armed before: its deadline is read back, once.
    expect(counts.get('select * from')).toBe(1);
    expect((await timer(c))?.status).toBe('ARMED');
  });

  it('a start whose order a stop before it names waits for its turn: the stop keeps the timer from arming', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const { replies } = await handleChunk(db, timerHandlers, [start(a, at(4)), stop(b), start(b, at(5))]);
    expect(answers(replies)).toEqual([
      ['timer.started', a],
      ['timer.stopped', b],
      ['timer.started', b],
    ]);
    expect((await timer(a))?.status).toBe('ARMED');
    expect((await timer(b))?.status).toBe('STOPPED');
  });
});
