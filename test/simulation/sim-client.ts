import { DELIVERY_STEPS, sampleOrderBody } from '@campusg/journeys';
import { partitionFor } from '@campusg/messaging';
import { type AuthUser, signIdentity } from '@campusg/platform';
import type { SimPlatform } from './sim-platform.ts';

// The people of every schedule, and what they do over the real HTTP routes (the one-process
// platform's routes, signed in as the gateway signs its identities).

const user = (n: number, roles: AuthUser['roles']): AuthUser => ({
  id: `5e000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name: `user ${n}`,
  roles,
  tokenId: `5e000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
  tokenExpiresAt: new Date('2030-01-01T00:00:00.000Z'),
});

/** Customers whose card the sandbox approves, declines, or who have none; and two runners. */
export const PEOPLE = {
  customers: [user(1, ['customer']), user(2, ['customer']), user(3, ['customer'])],
  runners: [user(11, ['customer', 'runner']), user(12, ['customer', 'runner'])],
};
const CARDS: (string | null)[] = ['tok_sandbox_visa_4242', 'tok_sandbox_declined_0002', null];

/** Puts the people in the user service's table, as registering and adding a card would. */
export async function seedPeople(p: SimPlatform): Promise<void> {
  const rows = [
    ...PEOPLE.customers.map((u, i) => ({ u, card: CARDS[i] ?? null, payout: null })),
    ...PEOPLE.runners.map((u, i) => ({ u, card: CARDS[0]!, payout: `acct_runner_${i}` })),
  ];
  for (const { u, card, payout } of rows) {
    await p.db.query(
      `insert into users.users (id, email, name, password_hash, roles, card_token, card_brand, card_last4, payout_account_id, created_at)
       values ($1, $2, $3, 'x', $4, $5, $6, $7, $8, $9)`,
      [u.id, `${u.id}@sim.test`, u.name, u.roles, card, card && 'visa', card && '4242', payout, p.clock.now()],
    );
  }
}

/** One request to the platform's routes as `as`; the status code (the simulation takes any answer). */
export async function request(
  p: SimPlatform,
  as: AuthUser,
  method: 'POST',
  url: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await p.app.inject({ method, url, payload: body as object, headers: signIdentity(as, p.config.authSecret) });
  return { status: res.statusCode, json: res.json() };
}

/**
 * Brings the sagas' read model of orders up to the end of the order's partition, which is what the
 * accept, complete and cancel routes wait for before they decide.
 */
export async function catchUpOrderView(p: SimPlatform, orderId: string): Promise<void> {
  const target = {
    groupId: 'saga-order-view',
    topic: 'order_events',
    partition: partitionFor('order_events', orderId, p.config.partitions),
  };
  while (p.transport.pending().some((x) => x.groupId === target.groupId && x.topic === target.topic && x.partition === target.partition)) {
    await p.transport.deliver(target, { max: 50, commit: true });
  }
}

export async function postOrder(p: SimPlatform, customer: AuthUser): Promise<string | undefined> {
  const res = await request(p, customer, 'POST', '/api/orders', sampleOrderBody());
  return res.status === 202 ? (res.json.orderId as string) : undefined;
}

/** The order as its service stores it (the runner a step or a completion is asked by). */
export async function orderRow(p: SimPlatform, orderId: string): Promise<{ status: string; runner_id: string | null } | undefined> {
  const [row] = await p.db.query<{ status: string; runner_id: string | null }>(
    'select status, runner_id from orders.orders where id = $1',
    [orderId],
  );
  return row;
}

/** The assigned runner moves the order one delivery step on, when it has one to take. */
export async function progress(p: SimPlatform, orderId: string): Promise<number | undefined> {
  const row = await orderRow(p, orderId);
  const runner = PEOPLE.runners.find((r) => r.id === row?.runner_id);
  const chain = ['ACCEPTED', ...DELIVERY_STEPS];
  const at = chain.indexOf(row?.status ?? '');
  const next = at >= 0 ? chain[at + 1] : undefined;
  if (!runner || !next) return undefined;
  return (await request(p, runner, 'POST', `/api/orders/${orderId}/progress`, { status: next })).status;
}
