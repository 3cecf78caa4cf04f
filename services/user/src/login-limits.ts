import { type Clock, type Db, type PruneTask, pruneStatement, type Sql } from '@campusg/platform';
import { RateLimiterPostgres } from 'rate-limiter-flexible';

const TABLE = { schemaName: 'users', tableName: 'login_attempts' };

/**
 * The sign-in rate limits: failed sign-ins per email (`limit` per window) and per client address
 * (five times that). The counters are rows of `users.login_attempts`, so every instance of the user
 * service counts against the same limit, on PGlite and on PostgreSQL alike, and a restart forgets
 * nothing. rate-limiter-flexible's `RateLimiterPostgres` does the counting, through `db`.
 */
export class LoginLimits {
  readonly #perEmail: RateLimiterPostgres;
  readonly #perAddress: RateLimiterPostgres;

  constructor(
    db: Sql,
    private readonly limit: number,
    windowS = 15 * 60,
  ) {
    // The limiter speaks node-postgres' `query({text, values})`; `Sql` runs the same statement on either database.
    const storeClient = {
      async query(q: { text: string; values?: unknown[] }) {
        const rows = await db.query(q.text, q.values);
        return { rows, rowCount: rows.length };
      },
    };
    const common = { storeClient, storeType: 'pool', ...TABLE, tableCreated: true, clearExpiredByTimeout: false, duration: windowS };
    this.#perEmail = new RateLimiterPostgres({ ...common, keyPrefix: 'login-email', points: limit });
    this.#perAddress = new RateLimiterPostgres({ ...common, keyPrefix: 'login-ip', points: limit * 5 });
  }

  /** Seconds until a sign-in for `email` from `address` may be tried again; `null` when it may be now. */
  async blocked(email: string, address: string): Promise<number | null> {
    const [byEmail, byAddress] = await Promise.all([this.#perEmail.get(email.toLowerCase()), this.#perAddress.get(address)]);
    const over = (res: typeof byEmail, points: number) => (res && res.consumedPoints >= points ? res.msBeforeNext : null);
    const waits = [over(byEmail, this.limit), over(byAddress, this.limit * 5)].filter((ms): ms is number => ms !== null);
    return waits.length === 0 ? null : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
  }

  /** Counts a failed sign-in against the email and the address. */
  async failed(email: string, address: string): Promise<void> {
    await Promise.all([this.#perEmail.penalty(email.toLowerCase()), this.#perAddress.penalty(address)]);
  }

  /** A successful sign-in clears the email's count (not the address's). */
  async succeeded(email: string): Promise<void> {
    await this.#perEmail.delete(email.toLowerCase());
  }
}

/** Counters whose window has passed are deleted, oldest first. */
export function loginAttemptsRetention(db: Db, clock: Clock): PruneTask {
  return pruneStatement(
    db,
    'users.login_attempts',
    () => clock.now().getTime(),
    `with doomed as (
       select key from users.login_attempts where expire < $1 order by expire limit $2
     ), gone as (
       delete from users.login_attempts a using doomed d where a.key = d.key returning 1
     )
     select count(*)::int as n from gone`,
  );
}
