import type { Handlers } from '@campusg/messaging';
import { userRepository as repo } from './user-repository.ts';

/** The user service's commands: what a saga needs to charge a customer or pay a runner. */
export const userHandlers: Handlers = {
  async get_payment_info(m, { tx, emit }) {
    const { user_id } = m.payload;
    const user = await repo.find(tx, user_id);
    if (!user) return void emit('user.payment_info_failed', { user_id, code: 'USER_NOT_FOUND' });
    if (!user.card_token || !user.card_last4) return void emit('user.payment_info_failed', { user_id, code: 'NO_PAYMENT_METHOD' });
    emit('user.payment_info_retrieved', {
      user_id,
      payment_method_token: user.card_token,
      card: { brand: user.card_brand ?? 'unknown', last4: user.card_last4 },
    });
  },

  async get_payout_info(m, { tx, emit }) {
    const { user_id } = m.payload;
    const user = await repo.find(tx, user_id);
    if (!user) return void emit('user.payout_info_failed', { user_id, code: 'USER_NOT_FOUND' });
    if (!user.roles.includes('runner') || !user.payout_account_id)
      return void emit('user.payout_info_failed', { user_id, code: 'NOT_A_RUNNER' });
    emit('user.payout_info_retrieved', { user_id, payout_account_id: user.payout_account_id });
  },
};
