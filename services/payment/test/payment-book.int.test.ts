import { randomUUID } from 'node:crypto';
import type { MessageType, PayloadOf, TypedMessage } from '@campusg/contracts';
import type { HandlerContext } from '@campusg/messaging';
import { type Db, migrate, openPglite, randomIds, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleChunk } from '../../../test/support/chunk.ts';
import { handlerContext, sagaMessage } from '../../../test/support/handler-context.ts';
import { PAYMENT_SCHEMA, paymentMigrations } from '../src/index.ts';
import { paymentHandlers, paymentIdFor } from '../src/payment-handlers.ts';
import { SandboxGateway } from '../src/sandbox-gateway.ts';

const clock = { now: () => new Date() };
const card = 'tok_sandbox_visa_4242';

describe('payment service: a transaction of many commands reads and writes its payments together', () => {
  let db: Db;
  const handlers = paymentHandlers({ gateway: new SandboxGateway(clock, randomIds), clock, ids: randomIds, platformFeeCents: 50 });
  const message = <T extends MessageType>(type: T, payload: PayloadOf<T>): TypedMessage<T> => sagaMessage(type, payload);
  const authorize = (orderId: string, token = card, amount = 1000) =>
    message('authorize_payment', {
      order_id: orderId,
      customer_id: randomUUID(),
      payment_method_token: token,
      amount_cents: amount,
      currency: 'SGD',
    });

  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, PAYMENT_SCHEMA, paymentMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  const chunk = (batch: TypedMessage[], counts = new Map<string, number>(), before?: (tx: Sql) => Promise<void>) =>
    handleChunk(db, handlers, batch, { counts, before });

  const payment = async (orderId: string) =>
    (
      await db.query<{ status: string; revert_method: string | null; amount_cents: number }>(
        'select status, revert_method, amount_cents from payments.payments where order_id = $1',
        [orderId],
      )
    )[0];
  const ledger = async (orderId: string) =>
    db.query<{ kind: string; account: string; amount_cents: number }>(
      'select kind, account, amount_cents from payments.ledger_entries where order_id = $1 order by id',
      [orderId],
    );

  it('six authorisations: one read of the payments, one insert of them, one of the ledger', async () => {
    const orders = Array.from({ length: 6 }, () => randomUUID());
    const batch = orders.map((id, i) => authorize(id, i === 5 ? 'tok_sandbox_declined_card' : card, 1000 + i));
    const { replies, counts } = await chunk(batch);

    expect(replies.map((r) => r.type)).toEqual([...Array(5).fill('payment.authorized'), 'payment.failed']);
    expect(replies[0]!.payload).toMatchObject({ order_id: orders[0], payment_id: paymentIdFor(orders[0]!), amount_cents: 1000 });
    expect(counts.get('select * from')).toBe(1);
    expect(counts.get('insert into payments.payments')).toBe(1);
    expect(counts.get('insert into payments.ledger_entries')).toBe(1);
    // The gateway is asked once per message.
    expect(counts.get('insert into payments.gateway_operations')).toBe(6);
    for (const [i, id] of orders.entries()) {
      expect(await payment(id)).toEqual({ status: i === 5 ? 'FAILED' : 'AUTHORIZED', revert_method: null, amount_cents: 1000 + i });
      expect((await ledger(id)).map((e) => e.amount_cents)).toEqual(i === 5 ? [] : [-(1000 + i), 1000 + i]);
    }
  });

  it('each command finds the payment as the ones before it in the transaction left it', async () => {
    const cancelled = randomUUID();
    const early = randomUUID();
    const delivered = randomUUID();
    await chunk([authorize(delivered, card, 2000)]);
    const runner = randomUUID();
    const release = message('release_payment', { order_id: delivered, runner_id: runner, payout_account_id: 'acct_sandbox_1' });

    const counts = new Map<string, number>();
    const { replies } = await chunk(
      [
        authorize(cancelled),
        message('revert_payment', { order_id: cancelled, reason: 'CUSTOMER_CANCELLED' }),
        message('release_payment', { order_id: cancelled, runner_id: runner, payout_account_id: 'acct_sandbox_1' }),
        message('revert_payment', { order_id: early, reason: 'CUSTOMER_CANCELLED' }),
        authorize(early),
        release,
        { ...release, message_id: randomUUID() },
      ],
      counts,
    );

    expect(
      replies.map((r) => [
        r.type,
        (r.payload as { code?: string; method?: string }).code ?? (r.payload as { method?: string }).method ?? null,
      ]),
    ).toEqual([
      ['payment.authorized', null],
      ['payment.reverted', 'VOID'],
      ['payment.release_failed', 'ALREADY_REVERTED'],
      ['payment.reverted', 'NONE'],
      ['payment.failed', 'GATEWAY_ERROR'],
      ['payment.released', null],
      ['payment.released', null],
    ]);
    // The second release answers as the first did: the same transfer.
    expect(replies[6]!.payload).toEqual(replies[5]!.payload);
    expect(counts.get('select * from')).toBe(1);
    expect(counts.get('insert into payments.payments')).toBe(1);
    expect(counts.get('update payments.payments p')).toBe(1);
    expect(counts.get('insert into payments.ledger_entries')).toBe(1);

    expect(await payment(cancelled)).toEqual({ status: 'REVERTED', revert_method: 'VOID', amount_cents: 1000 });
    expect((await ledger(cancelled)).map((e) => e.kind)).toEqual(['HOLD', 'HOLD', 'HOLD_RELEASED', 'HOLD_RELEASED']);
    expect((await ledger(cancelled)).reduce((s, e) => s + e.amount_cents, 0)).toBe(0);
    expect(await payment(early)).toEqual({ status: 'REVERTED', revert_method: 'NONE', amount_cents: 0 });
    expect(await ledger(early)).toEqual([]);
    // Paid out once: the hold charged, 1950 to the runner and the fee of 50 to the platform.
    expect(await payment(delivered)).toMatchObject({ status: 'RELEASED' });
    const paid = await ledger(delivered);
    expect(paid.filter((e) => e.amount_cents > 0).map((e) => [e.kind, e.account, e.amount_cents])).toEqual([
      ['HOLD', expect.stringMatching(/:hold$/), 2000],
      ['CHARGE', 'platform:clearing', 2000],
      ['PAYOUT', `runner:${runner}:payout`, 1950],
      ['PAYOUT', 'platform:fees', 50],
    ]);
  });

  it('a payment another transaction created after the read is not overwritten: the commit fails', async () => {
    const orderId = randomUUID();
    const m = authorize(orderId);
    // Another writer's row appears between the book's read and its commit (as a concurrent transaction's would).
    const replies: TypedMessage[] = [];
    const attempt = db.transaction(async (tx) => {
      const ctx: HandlerContext = { ...handlerContext(tx, m, replies), batch: [m] };
      await handlers.authorize_payment!(m, ctx);
      await tx.query(
        `insert into payments.payments (id, order_id, amount_cents, status, revert_method, reverted_at, created_at, updated_at)
         values ($1, $2, 0, 'REVERTED', 'NONE', now(), now(), now())`,
        [paymentIdFor(orderId), orderId],
      );
    });
    await expect(attempt).rejects.toThrow(/duplicate key|unique/);
    expect(await payment(orderId)).toBeUndefined();
  });
});
