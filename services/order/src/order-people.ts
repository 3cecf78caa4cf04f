import type { OrderPerson, OrderStatus } from '@campusg/contracts';
import type { Handler, Handlers } from '@campusg/messaging';
import type { Sql } from '@campusg/platform';

/** A person as the order service knows them: from the user service's events, and the ratings given here. */
export interface PersonRow {
  user_id: string;
  name: string;
  phone: string | null;
  rating_sum: number;
  rating_count: number;
}

/** Orders in these statuses show each party the other's phone: someone is on the way. */
export const PHONE_STATUSES: readonly OrderStatus[] = ['ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED'];

/** Shown until the user service's event about a person has arrived. */
const UNKNOWN_NAME = 'CampusG user';

export const peopleRepository = {
  async find(tx: Sql, ids: readonly string[]): Promise<Map<string, PersonRow>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rows = await tx.query<PersonRow>('select * from orders.people where user_id = any($1::uuid[])', [unique]);
    return new Map(rows.map((r) => [r.user_id, r]));
  },
  /** What an event says of a person's name (and phone, when it carries one); their ratings stay. */
  async learn(tx: Sql, userId: string, name: string, phone?: string | null): Promise<void> {
    await tx.query(
      `insert into orders.people (user_id, name, phone) values ($1, $2, $3)
       on conflict (user_id) do update set name = excluded.name, phone = case when $4 then excluded.phone else orders.people.phone end`,
      [userId, name, phone ?? null, phone !== undefined],
    );
  },
  /** Adds one rating to a person's total. */
  async addRating(tx: Sql, userId: string, stars: number): Promise<PersonRow> {
    const [row] = await tx.query<PersonRow>(
      `insert into orders.people (user_id, rating_sum, rating_count) values ($1, $2, 1)
       on conflict (user_id) do update set rating_sum = orders.people.rating_sum + $2, rating_count = orders.people.rating_count + 1
       returning *`,
      [userId, stars],
    );
    return row!;
  },
};

/** A person's rating: the mean of their stars to one decimal place, `null` before the first. */
export const ratingOf = (p: PersonRow | undefined) => ({
  average: p && p.rating_count > 0 ? Math.round((p.rating_sum / p.rating_count) * 10) / 10 : null,
  count: p?.rating_count ?? 0,
});

/** A party to an order, with their phone when `showPhone` (the viewer is the counterpart of an active order). */
export function toPerson(id: string, p: PersonRow | undefined, showPhone: boolean): OrderPerson {
  return { id, name: p?.name || UNKNOWN_NAME, rating: ratingOf(p), ...(showPhone ? { phone: p?.phone ?? null } : {}) };
}

/** The user events that name people: kept so that orders show who their customer and runner are. */
export const peopleHandlers: Handlers = {
  'user.registered': (async (m, { tx }) => {
    if (m.payload.name) await peopleRepository.learn(tx, m.payload.user_id, m.payload.name);
  }) satisfies Handler<'user.registered'>,
  'user.became_runner': (async (m, { tx }) => {
    if (m.payload.name) await peopleRepository.learn(tx, m.payload.user_id, m.payload.name);
  }) satisfies Handler<'user.became_runner'>,
  'user.profile_updated': (async (m, { tx }) => {
    await peopleRepository.learn(tx, m.payload.user_id, m.payload.name, m.payload.phone);
  }) satisfies Handler<'user.profile_updated'>,
};
