import { type Handlers, ReadTogether } from '@campusg/messaging';
import type { UserRow } from './user.ts';
import { userRepository as repo } from './user-repository.ts';

/** The users a transaction's commands ask about, read in one statement. */
const USERS = new ReadTogether<UserRow>({
  keyOf: (m) => (m.type === 'get_payment_info' || m.type === 'get_payout_info' ? (m.payload as { user_id: string }).user_id : undefined),
  read: (tx, ids) => repo.findMany(tx, ids),
  keyOfRow: (row) => row.id,
});

/** The user service's commands: what a saga needs to charge a customer or pay a runner. */
export const userHandlers: Handlers = {
  async get_payment_info(m, ctx) {
    const { emit } = ctx;
    const { user_id } = m.payload;
    const user = await USERS.in(ctx, m).get(user_id);
    if (!user) return void emit('user.payment_info_failed', { user_id, code: 'USER_NOT_FOUND' });
    if (!user.card_token || !user.card_last4) return void emit('user.payment_info_failed', { user_id, code: 'NO_PAYMENT_METHOD' });
    emit('user.payment_info_retrieved', {
      user_id,
      payment_method_token: user.card_token,
      card: { brand: user.card_brand ?? 'unknown', last4: user.card_last4 },
    });
  },

  async get_payout_info(m, ctx) {
    const { emit } = ctx;
    const { user_id } = m.payload;
    const user = await USERS.in(ctx, m).get(user_id);
    if (!user) return void emit('user.payout_info_failed', { user_id, code: 'USER_NOT_FOUND' });
    if (!user.roles.includes('runner') || !user.payout_account_id)
      return void emit('user.payout_info_failed', { user_id, code: 'NOT_A_RUNNER' });
    emit('user.payout_info_retrieved', { user_id, payout_account_id: user.payout_account_id });
  },
};
