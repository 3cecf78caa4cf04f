import { randomUUID } from 'node:crypto';
import type { MessageType, PayloadOf, TypedMessage } from '@campusg/contracts';
import type { HandlerContext } from '@campusg/messaging';
import { type Db, migrate, openPglite, randomIds, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerContext, sagaMessage } from '../../../test/support/handler-context.ts';
import { PAYMENT_SCHEMA, paymentMigrations } from '../src/index.ts';
import { paymentHandlers, paymentIdFor } from '../src/payment-handlers.ts';
import { type PaymentGateway, SandboxGateway } from '../src/sandbox-gateway.ts';

/**
 * A real card processor keeps its own records, outside the payment service's transaction: the
 * service may crash after the processor answered and before its own commit. The retried command
 * must then ask with the same idempotency key, so the processor answers from its records and holds
 * the money once. Here the sandbox plays that processor in a database of its own.
 */
const clock = { now: () => new Date() };

describe('payment service: gateway idempotency keys survive a crash before the commit', () => {
  let db: Db;
  let processorDb: Db;
  const keys: string[] = [];
  /** The sandbox behind its own transactions, as a remote processor would be; every key asked is recorded. */
  let remote: PaymentGateway;

  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, PAYMENT_SCHEMA, paymentMigrations());
    processorDb = await openPglite(undefined);
    await migrate(processorDb, PAYMENT_SCHEMA, paymentMigrations());
    const sandbox = new SandboxGateway(clock, randomIds);
    const outside =
      <A extends unknown[]>(op: (tx: Sql, key: string, ...a: A) => ReturnType<PaymentGateway['authorize']>) =>
      (_tx: Sql, key: string, ...a: A) => {
        keys.push(key);
        return processorDb.transaction((own) => op.call(sandbox, own, key, ...a));
      };
    remote = {
      authorize: outside(sandbox.authorize),
      capture: outside(sandbox.capture),
      void: outside(sandbox.void),
      refund: outside(sandbox.refund),
      transfer: outside(sandbox.transfer),
    };
  });
  afterAll(async () => {
    await db?.close();
    await processorDb?.close();
  });

  const message = <T extends MessageType>(type: T, payload: PayloadOf<T>): TypedMessage<T> => sagaMessage(type, payload);

  /** Handles one command in one transaction; `crash` throws after the handler, before the commit. */
  async function handle(m: TypedMessage, crash = false): Promise<TypedMessage[]> {
    const handlers = paymentHandlers({ gateway: remote, clock, ids: randomIds, platformFeeCents: 0 });
    const replies: TypedMessage[] = [];
    await db
      .transaction(async (tx) => {
        const ctx = handlerContext(tx, m, replies);
        await (handlers[m.type] as (m: TypedMessage, c: HandlerContext) => Promise<void>)(m, ctx);
        if (crash) throw new Error('crashed before the commit');
      })
      .catch((err: Error) => {
        if (!crash) throw err;
      });
    return replies;
  }

  const countRows = async (sql: string, params: unknown[]) => (await db.query<{ n: number }>(sql, params))[0]!.n;

  it('a retried authorisation asks with the same key and gets the same hold, not a second one', async () => {
    const orderId = randomUUID();
    const authorize = message('authorize_payment', {
      order_id: orderId,
      customer_id: randomUUID(),
      payment_method_token: 'tok_sandbox_visa_4242',
      amount_cents: 1450,
      currency: 'SGD',
    });
    keys.length = 0;
    await handle(authorize, true);
    expect(await countRows('select count(*)::int as n from payments.payments where order_id = $1', [orderId])).toBe(0);
    const [reply] = await handle({ ...authorize, message_id: randomUUID() });

    const expectedKey = `${paymentIdFor(orderId)}:authorize`;
    expect(keys).toEqual([expectedKey, expectedKey]);
    expect(reply).toMatchObject({ type: 'payment.authorized', payload: { payment_id: paymentIdFor(orderId), amount_cents: 1450 } });
    // The processor holds once: one operation under that key, and the payment keeps its reference.
    const ops = await processorDb.query<{ reference: string }>(
      'select reference from payments.gateway_operations where idempotency_key = $1',
      [expectedKey],
    );
    expect(ops).toHaveLength(1);
    const [payment] = await db.query<{ authorization_ref: string }>('select authorization_ref from payments.payments where order_id = $1', [
      orderId,
    ]);
    expect(payment!.authorization_ref).toBe(ops[0]!.reference);
    expect(await countRows(`select count(*)::int as n from payments.ledger_entries where order_id = $1 and kind = 'HOLD'`, [orderId])).toBe(
      2,
    );
  });

  it('void, capture and payout are keyed by the payment id and the operation too', async () => {
    const orderId = randomUUID();
    const id = paymentIdFor(orderId);
    const base = { customer_id: randomUUID(), payment_method_token: 'tok_sandbox_visa_4242', amount_cents: 900, currency: 'SGD' as const };
    await handle(message('authorize_payment', { order_id: orderId, ...base }));
    keys.length = 0;
    const release = message('release_payment', { order_id: orderId, runner_id: randomUUID(), payout_account_id: 'acct_sandbox_1' });
    await handle(release, true);
    const [released] = await handle({ ...release, message_id: randomUUID() });
    expect(released?.type).toBe('payment.released');
    expect(keys).toEqual([`${id}:capture`, `${id}:transfer`, `${id}:capture`, `${id}:transfer`]);
    const ops = await processorDb.query('select 1 from payments.gateway_operations where idempotency_key like $1', [`${id}:%`]);
    expect(ops).toHaveLength(3);

    const other = randomUUID();
    await handle(message('authorize_payment', { order_id: other, ...base }));
    keys.length = 0;
    const revert = message('revert_payment', { order_id: other, reason: 'CUSTOMER_CANCELLED' });
    await handle(revert, true);
    await handle({ ...revert, message_id: randomUUID() });
    expect(keys).toEqual([`${paymentIdFor(other)}:void`, `${paymentIdFor(other)}:void`]);
  });

  it('the payment id is a stable UUID of the order id', () => {
    const orderId = randomUUID();
    expect(paymentIdFor(orderId)).toBe(paymentIdFor(orderId));
    expect(paymentIdFor(orderId)).not.toBe(paymentIdFor(randomUUID()));
    expect(paymentIdFor(orderId)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
