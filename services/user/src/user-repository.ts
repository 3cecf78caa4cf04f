import type { Sql } from '@campusg/platform';
import type { UserRow } from './user.ts';

export const userRepository = {
  async find(tx: Sql, id: string): Promise<UserRow | undefined> {
    const [row] = await tx.query<UserRow>('select * from users.users where id = $1', [id]);
    return row;
  },
  async findMany(tx: Sql, ids: string[]): Promise<UserRow[]> {
    return tx.query<UserRow>('select * from users.users where id = any($1::uuid[])', [ids]);
  },
  async findByEmail(tx: Sql, email: string): Promise<UserRow | undefined> {
    const [row] = await tx.query<UserRow>('select * from users.users where lower(email) = lower($1)', [email]);
    return row;
  },
  /** Inserts unless the email is taken (case-insensitively); returns the row, or nothing when taken. */
  async insert(tx: Sql, u: { id: string; email: string; name: string; passwordHash: string; now: Date }): Promise<UserRow | undefined> {
    const [row] = await tx.query<UserRow>(
      `insert into users.users (id, email, name, password_hash, created_at) values ($1, $2, $3, $4, $5)
       on conflict ((lower(email))) do nothing returning *`,
      [u.id, u.email, u.name, u.passwordHash, u.now],
    );
    return row;
  },
  async setCard(tx: Sql, id: string, c: { token: string; brand: string; last4: string; expMonth: number; expYear: number } | null) {
    const [row] = await tx.query<UserRow>(
      `update users.users set card_token = $2, card_brand = $3, card_last4 = $4, card_exp_month = $5, card_exp_year = $6
       where id = $1 returning *`,
      [id, c?.token ?? null, c?.brand ?? null, c?.last4 ?? null, c?.expMonth ?? null, c?.expYear ?? null],
    );
    return row;
  },
  async makeRunner(tx: Sql, id: string, payoutAccountId: string): Promise<{ row: UserRow; changed: boolean } | undefined> {
    const [changed] = await tx.query<UserRow>(
      `update users.users set roles = array_append(roles, 'runner'), payout_account_id = coalesce(payout_account_id, $2),
         payout_updated_at = coalesce(payout_updated_at, now())
       where id = $1 and not ('runner' = any(roles)) returning *`,
      [id, payoutAccountId],
    );
    if (changed) return { row: changed, changed: true };
    const row = await this.find(tx, id);
    return row && { row, changed: false };
  },
  /** Changes the given fields of the profile; `phone: null` removes the phone. */
  async updateProfile(tx: Sql, id: string, p: { name?: string | undefined; phone?: string | null | undefined }) {
    const [row] = await tx.query<UserRow>(
      `update users.users set name = coalesce($2, name), phone = case when $3 then $4 else phone end where id = $1 returning *`,
      [id, p.name ?? null, p.phone !== undefined, p.phone ?? null],
    );
    return row;
  },
  /** Replaces a runner's payout account; nothing for anyone who is not a runner. */
  async setPayoutAccount(tx: Sql, id: string, accountId: string, last4: string, now: Date): Promise<UserRow | undefined> {
    const [row] = await tx.query<UserRow>(
      `update users.users set payout_account_id = $2, payout_last4 = $3, payout_updated_at = $4
       where id = $1 and 'runner' = any(roles) returning *`,
      [id, accountId, last4, now],
    );
    return row;
  },
  async revoke(tx: Sql, jti: string, expiresAt: Date): Promise<void> {
    await tx.query('insert into users.revoked_tokens (jti, expires_at) values ($1, $2) on conflict do nothing', [jti, expiresAt]);
  },
  /** Revocations of tokens that have expired anyway are dropped. */
  async pruneRevoked(tx: Sql, now: Date): Promise<void> {
    await tx.query('delete from users.revoked_tokens where expires_at < $1', [now]);
  },
};
