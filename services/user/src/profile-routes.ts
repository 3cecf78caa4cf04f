import { payoutAccountBody, payoutAccountView, profileBody, userSchema } from '@campusg/contracts';
import type { ServiceDeps } from '@campusg/messaging';
import { type App, AppError, type AuthHook, callerOf } from '@campusg/platform';
import { toPayoutAccountView, toUserView, type UserRow } from './user.ts';
import { userRepository as repo } from './user-repository.ts';

const gone = () => new AppError('UNAUTHENTICATED', 'the account no longer exists');
const notARunner = () => new AppError('FORBIDDEN', 'only runners have a payout account');

/** The caller's profile (name, phone) and, for runners, their sandbox payout account. */
export function registerProfileRoutes(app: App, deps: ServiceDeps, auth: AuthHook): void {
  const { db, bus, clock, ids } = deps;

  app.patch(
    '/api/me',
    {
      onRequest: auth,
      schema: { tags: ['me'], summary: 'Change the name or phone', body: profileBody, response: { 200: userSchema } },
    },
    async (req) => {
      const user = await bus.transact(async (tx, emit) => {
        const row = await repo.updateProfile(tx, callerOf(req).id, req.body);
        if (!row) throw gone();
        // The profile as it now is: the order service shows it to the other party of an order.
        emit('user.profile_updated', { user_id: row.id, name: row.name, phone: row.phone });
        return row;
      });
      return toUserView(user);
    },
  );

  const runnerRow = (row: UserRow | undefined): UserRow => {
    if (!row) throw gone();
    if (!row.roles.includes('runner') || !row.payout_account_id) throw notARunner();
    return row;
  };

  app.get(
    '/api/me/payout-account',
    {
      onRequest: auth,
      schema: { tags: ['me'], summary: "The runner's payout account", response: { 200: payoutAccountView } },
    },
    async (req) => toPayoutAccountView(runnerRow(await repo.find(db, callerOf(req).id))),
  );

  app.put(
    '/api/me/payout-account',
    {
      onRequest: auth,
      schema: {
        tags: ['me'],
        summary: 'Replace the payout account (sandbox); payouts from now on go to it',
        body: payoutAccountBody,
        response: { 200: payoutAccountView },
      },
    },
    async (req) => {
      const { accountNumber } = req.body;
      const id = callerOf(req).id;
      // The sandbox gateway's account for these bank details: a new id; the number itself is not kept.
      const row = await repo.setPayoutAccount(db, id, `acct_sandbox_${ids.uuid()}`, accountNumber.slice(-4), clock.now());
      // Only a runner's account changes: anyone else is told why.
      if (!row) runnerRow(await repo.find(db, id));
      return toPayoutAccountView(runnerRow(row));
    },
  );
}
