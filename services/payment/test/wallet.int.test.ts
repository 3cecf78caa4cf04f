import { randomUUID } from 'node:crypto';
import { type Db, migrate, openPglite } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genericPlan } from '../../../test/support/plans.ts';
import { PAYMENT_SCHEMA, paymentMigrations } from '../src/index.ts';
import { account, entriesFor, type LedgerKind } from '../src/ledger.ts';
import { WALLET_SQL } from '../src/payment-routes.ts';

/**
 * A wallet reads a user's hold and payout accounts, through an index that holds the entries of those
 * accounts alone (about half of the ledger: the card, clearing and fee entries are never read by
 * account).
 */
describe('payment service: the wallet', () => {
  let db: Db;
  const customer = randomUUID();
  const runner = randomUUID();
  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, PAYMENT_SCHEMA, paymentMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  async function post(kind: LedgerKind, orderId: string, minute: number) {
    const entries = entriesFor(kind, { customerId: customer, runnerId: runner, amountCents: 1000, feeCents: 100 });
    for (const e of entries)
      await db.query(
        `insert into payments.ledger_entries (transaction_id, order_id, account, amount_cents, kind, at) values ($1, $2, $3, $4, $5, $6)`,
        [randomUUID(), orderId, e.account, e.amountCents, kind, new Date(Date.UTC(2026, 11, 1, 12, minute))],
      );
  }

  const wallet = async (userId: string) =>
    (
      await db.query<{ kind: string; account: string; amount_cents: number }>(WALLET_SQL, [account.hold(userId), account.payout(userId)])
    ).map((r) => `${r.kind} ${r.account === account.hold(userId) ? 'hold' : 'payout'} ${r.amount_cents}`);

  it("reads a user's hold and payout entries, newest first, through the index of the wallets' accounts", async () => {
    const [completed, cancelled] = [randomUUID(), randomUUID()];
    await post('HOLD', completed, 1);
    await post('HOLD', cancelled, 2);
    await post('HOLD_RELEASED', cancelled, 3);
    await post('CHARGE', completed, 4);
    await post('PAYOUT', completed, 5);

    expect(await wallet(customer)).toEqual(['CHARGE hold -1000', 'HOLD_RELEASED hold -1000', 'HOLD hold 1000', 'HOLD hold 1000']);
    expect(await wallet(runner)).toEqual(['PAYOUT payout 900']);
    expect(await genericPlan(db, WALLET_SQL, [account.hold(customer), account.payout(customer)])).toContain(
      '"Index Name":"ledger_account"',
    );
    // The index holds the entries of the wallets' accounts only: 5 of the ledger's 11 (an analyze
    // counts an index's entries from a sample, here all the rows).
    await db.exec('analyze payments.ledger_entries');
    const [counted] = await db.query<{ index: number; table: number }>(
      `select (select reltuples from pg_class where oid = 'payments.ledger_account'::regclass)::int as index,
              (select count(*) from payments.ledger_entries)::int as table`,
    );
    expect(counted).toEqual({ index: 5, table: 11 });
  });
});
