import { type Db, ManualClock, migrate, openPglite, randomIds } from '@campusg/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENT_SCHEMA, paymentMigrations } from '../src/index.ts';
import { gatewayRetention, SandboxGateway } from '../src/sandbox-gateway.ts';

// The sandbox gateway keeps a record, and answers its key the same, for the retention; after that
// the record is gone, as a processor's idempotency key is.

const DAY = 86_400_000;
const RETENTION = 7 * DAY;

describe('sandbox gateway retention', () => {
  let db: Db;
  const clock = new ManualClock('2026-12-01T12:00:00.000Z');
  const gateway = new SandboxGateway(clock, randomIds);
  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db, PAYMENT_SCHEMA, paymentMigrations());
  });
  afterAll(async () => {
    await db?.close();
  });

  const authorize = (key: string) => db.transaction((tx) => gateway.authorize(tx, key, 'tok_sandbox_visa', 1000));
  const keys = async () =>
    (await db.query<{ key: string }>('select idempotency_key as key from payments.gateway_operations order by 1')).map((r) => r.key);

  it('deletes the records older than the retention, oldest first and a batch at a time, and keeps the younger ones', async () => {
    const first = await authorize('a:authorize');
    clock.advance(DAY);
    await authorize('b:authorize');
    clock.advance(DAY);
    await authorize('c:authorize');
    clock.advance(RETENTION - DAY / 2);
    const young = await authorize('d:authorize');

    const retention = gatewayRetention(db, clock, RETENTION);
    expect(await retention.prune(1)).toBe(1);
    expect(await keys()).toEqual(['b:authorize', 'c:authorize', 'd:authorize']);
    expect(await retention.prune(10)).toBe(1);
    expect(await keys()).toEqual(['c:authorize', 'd:authorize']);

    // A key still kept is answered as the first time; one past the retention is a new operation.
    expect(await authorize('d:authorize')).toEqual(young);
    const again = await authorize('a:authorize');
    expect(again.approved).toBe(true);
    expect(again).not.toEqual(first);
  });
});
