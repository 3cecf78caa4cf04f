export type LedgerKind = 'HOLD' | 'HOLD_RELEASED' | 'CHARGE' | 'PAYOUT';

/** Accounts of the double-entry ledger. */
export const account = {
  card: (customerId: string) => `customer:${customerId}:card`,
  hold: (customerId: string) => `customer:${customerId}:hold`,
  clearing: 'platform:clearing',
  fees: 'platform:fees',
  payout: (runnerId: string) => `runner:${runnerId}:payout`,
};

/**
 * The accounts a wallet reads, as an SQL condition: the predicate of the index that reads the ledger
 * by account (migration 004), written out in each statement that reads by account so the planner
 * can use that index whatever the parameters.
 */
export const WALLET_ACCOUNTS = "(account like '%:hold' or account like '%:payout')";

export interface Entry {
  account: string;
  amountCents: number;
}

/** The entries of one money movement; they always sum to zero (pure, unit-tested). */
export function entriesFor(
  kind: LedgerKind,
  p: { customerId: string; runnerId?: string; amountCents: number; feeCents?: number },
): Entry[] {
  const t = p.amountCents;
  switch (kind) {
    case 'HOLD':
      return [
        { account: account.card(p.customerId), amountCents: -t },
        { account: account.hold(p.customerId), amountCents: t },
      ];
    case 'HOLD_RELEASED':
      return [
        { account: account.hold(p.customerId), amountCents: -t },
        { account: account.card(p.customerId), amountCents: t },
      ];
    case 'CHARGE':
      return [
        { account: account.hold(p.customerId), amountCents: -t },
        { account: account.clearing, amountCents: t },
      ];
    case 'PAYOUT': {
      if (!p.runnerId) throw new Error('a payout needs a runner');
      const fee = Math.min(p.feeCents ?? 0, t);
      const entries = [
        { account: account.clearing, amountCents: -t },
        { account: account.payout(p.runnerId), amountCents: t - fee },
      ];
      return fee > 0 ? [...entries, { account: account.fees, amountCents: fee }] : entries;
    }
  }
}

/** How far `entries` are from summing to zero (0: balanced). */
export function unbalanced(entries: Entry[]): number {
  return entries.reduce((s, e) => s + e.amountCents, 0);
}
