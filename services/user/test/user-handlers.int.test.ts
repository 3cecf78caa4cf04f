import { randomUUID } from 'node:crypto';
import type { TypedMessage } from '@campusg/contracts';
import type { HandlerContext } from '@campusg/messaging';
import { type Db, migrate, openPglite, type Sql } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerContext, sagaMessage } from '../../../test/support/handler-context.ts';
import { USER_SCHEMA, userMigrations } from '../src/index.ts';
import { userHandlers } from '../src/user-handlers.ts';
import { userRepository as repo } from '../src/user-repository.ts';

describe("user service: a transaction's commands read their users in one statement", () => {
  let db: Db;
  const [customer, cardless, runner] = [randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, USER_SCHEMA, userMigrations());
    await db.transaction(async (tx) => {
      for (const [id, name] of [
        [customer, 'Ann'],
        [cardless, 'Ben'],
        [runner, 'Cai'],
      ] as const)
        await repo.insert(tx, { id, email: `${name}-${id}@campus.test`, name, passwordHash: 'x', now: new Date() });
      await repo.setCard(tx, customer, { token: 'tok_sandbox_visa_4242', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 });
      await repo.makeRunner(tx, runner, 'acct_sandbox_7');
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers each command as alone, with one read for them all', async () => {
    const stranger = randomUUID();
    const batch: TypedMessage[] = [
      sagaMessage('get_payment_info', { user_id: customer }),
      sagaMessage('get_payment_info', { user_id: cardless }),
      sagaMessage('get_payout_info', { user_id: runner }),
      sagaMessage('get_payout_info', { user_id: customer }),
      sagaMessage('get_payment_info', { user_id: stranger }),
    ];
    const replies: TypedMessage[] = [];
    let reads = 0;
    await db.transaction(async (raw) => {
      const tx: Sql = {
        query: (text, params) => {
          reads++;
          return raw.query(text, params);
        },
        exec: (text) => raw.exec(text),
      };
      for (const m of batch) {
        const ctx: HandlerContext = { ...handlerContext(tx, m, replies), batch };
        await (userHandlers[m.type] as (m: TypedMessage, c: HandlerContext) => Promise<void>)(m, ctx);
      }
    });

    expect(reads).toBe(1);
    expect(replies.map((r) => [r.type, r.payload])).toEqual([
      [
        'user.payment_info_retrieved',
        { user_id: customer, payment_method_token: 'tok_sandbox_visa_4242', card: { brand: 'visa', last4: '4242' } },
      ],
      ['user.payment_info_failed', { user_id: cardless, code: 'NO_PAYMENT_METHOD' }],
      ['user.payout_info_retrieved', { user_id: runner, payout_account_id: 'acct_sandbox_7' }],
      ['user.payout_info_failed', { user_id: customer, code: 'NOT_A_RUNNER' }],
      ['user.payment_info_failed', { user_id: stranger, code: 'USER_NOT_FOUND' }],
    ]);
  });
});
