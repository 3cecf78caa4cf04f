import { z } from 'zod';
import { cents, isoTime, uuid } from './fields.ts';

/** Kinds of wallet movement. */
export const WALLET_TRANSACTION_KINDS = ['HOLD', 'HOLD_RELEASED', 'CHARGE', 'PAYOUT'] as const;
export type WalletTransactionKind = (typeof WALLET_TRANSACTION_KINDS)[number];

/** `GET /api/wallet`. `balanceCents` is a runner's paid-out earnings. */
export const walletView = z.object({
  balanceCents: cents,
  earnedCents: cents,
  spentCents: cents,
  heldCents: cents,
  transactions: z.array(z.object({ at: isoTime, kind: z.enum(WALLET_TRANSACTION_KINDS), amountCents: cents, orderId: uuid })),
});
export type WalletView = z.infer<typeof walletView>;
