import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { type CardBody, cardBrand, type PayoutAccountView, type User } from '@campusg/contracts';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** `scrypt$N$r$p$salt$hash`: a slow salted hash; the parameters travel with it. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

/** A hash to compare against when the email is unknown, so both failures take the same time. */
export const DUMMY_HASH = hashPassword('campusg-timing-equaliser');

/**
 * The sandbox gateway's tokenisation: the number never leaves this function. The token names the
 * sandbox outcome of the documented test cards, as a card processor's test tokens do.
 */
export function tokeniseCard(card: CardBody, newId: () => string) {
  const outcome = card.number === '4000000000000002' ? 'declined' : card.number === '4000000000009995' ? 'insufficient' : 'ok';
  return {
    token: `tok_sandbox_${outcome}_${newId()}`,
    brand: cardBrand(card.number),
    last4: card.number.slice(-4),
    expMonth: card.expMonth,
    expYear: card.expYear,
  };
}

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  roles: ('customer' | 'runner')[];
  card_token: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_exp_month: number | null;
  card_exp_year: number | null;
  payout_account_id: string | null;
  payout_last4: string | null;
  payout_updated_at: Date | null;
  phone: string | null;
  created_at: Date;
}

/** The public User object: never the hash, the card token or the payout account. */
export function toUserView(u: UserRow): User {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    roles: u.roles,
    card:
      u.card_token && u.card_last4
        ? {
            brand: u.card_brand as NonNullable<User['card']>['brand'],
            last4: u.card_last4,
            expMonth: u.card_exp_month!,
            expYear: u.card_exp_year!,
          }
        : null,
    phone: u.phone,
    createdAt: new Date(u.created_at).toISOString(),
  };
}

/** A runner's payout account as `GET /api/me/payout-account` shows it. */
export function toPayoutAccountView(u: UserRow): PayoutAccountView {
  return {
    accountId: u.payout_account_id ?? '',
    last4: u.payout_last4,
    updatedAt: new Date(u.payout_updated_at ?? u.created_at).toISOString(),
  };
}
