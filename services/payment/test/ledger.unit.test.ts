import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { account, entriesFor, type LedgerKind } from '../src/ledger.ts';

const sum = (entries: { amountCents: number }[]) => entries.reduce((s, e) => s + e.amountCents, 0);
const C = 'customer-1';
const R = 'runner-1';

describe('double-entry ledger', () => {
  it('holds on the card, releases a hold back to it', () => {
    expect(entriesFor('HOLD', { customerId: C, amountCents: 1200 })).toEqual([
      { account: account.card(C), amountCents: -1200 },
      { account: account.hold(C), amountCents: 1200 },
    ]);
    expect(entriesFor('HOLD_RELEASED', { customerId: C, amountCents: 1200 })).toEqual([
      { account: account.hold(C), amountCents: -1200 },
      { account: account.card(C), amountCents: 1200 },
    ]);
  });

  it('charges the hold into clearing, then pays the runner out of it (minus any platform fee)', () => {
    expect(entriesFor('CHARGE', { customerId: C, amountCents: 1200 })).toEqual([
      { account: account.hold(C), amountCents: -1200 },
      { account: account.clearing, amountCents: 1200 },
    ]);
    expect(entriesFor('PAYOUT', { customerId: C, runnerId: R, amountCents: 1200 })).toEqual([
      { account: account.clearing, amountCents: -1200 },
      { account: account.payout(R), amountCents: 1200 },
    ]);
    expect(entriesFor('PAYOUT', { customerId: C, runnerId: R, amountCents: 1200, feeCents: 150 })).toEqual([
      { account: account.clearing, amountCents: -1200 },
      { account: account.payout(R), amountCents: 1050 },
      { account: account.fees, amountCents: 150 },
    ]);
    expect(() => entriesFor('PAYOUT', { customerId: C, amountCents: 1 })).toThrow(/runner/);
  });

  it('balances every movement, and every order whichever way it ends', () => {
    const kinds: LedgerKind[] = ['HOLD', 'HOLD_RELEASED', 'CHARGE', 'PAYOUT'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(...kinds),
        (amount, fee, kind) => {
          expect(sum(entriesFor(kind, { customerId: C, runnerId: R, amountCents: amount, feeCents: fee }))).toBe(0);
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 10_000_000 }), fc.boolean(), (amount, completed) => {
        const life: LedgerKind[] = completed ? ['HOLD', 'CHARGE', 'PAYOUT'] : ['HOLD', 'HOLD_RELEASED'];
        const entries = life.flatMap((k) => entriesFor(k, { customerId: C, runnerId: R, amountCents: amount }));
        expect(sum(entries)).toBe(0);
        const balance = (acc: string) => sum(entries.filter((e) => e.account === acc));
        expect(balance(account.hold(C))).toBe(0);
        expect(balance(account.clearing)).toBe(0);
        expect(balance(account.payout(R))).toBe(completed ? amount : 0);
        expect(balance(account.card(C))).toBe(completed ? -amount : 0);
      }),
    );
  });
});
