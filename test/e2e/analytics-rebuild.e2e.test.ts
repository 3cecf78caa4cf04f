import { acceptOrder, deliverOrder, fetchClient, pollSagaEnd } from '@campusg/journeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorCommand } from '../../apps/cli/src/operator.ts';
import { type ApiClient, waitFor } from '../support/client.ts';
import { e2eBus } from '../support/environment.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * Replay shown rather than claimed: the analytics service builds its figures from the order and
 * payment events; its tables are emptied, its group rewound with `campusg group reset`, and the
 * same figures come back from the log alone. RabbitMQ keeps no history and says so.
 */

const ADMIN_TOKEN = 'operator-token-operator-token-0123';
const GROUP = 'analytics-service';
let sys: TestSystem;

async function campusg(...argv: string[]): Promise<any> {
  let output = '';
  const code = await operatorCommand([...argv, '--json'], { CAMPUSG_URL: sys.url, ADMIN_TOKEN }, (t) => (output += t));
  return { code, ...JSON.parse(output) };
}

const figures = async () =>
  (await sys.client().request('GET', '/admin/analytics', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` })).body;
const analyticsLag = async () => (await campusg('lag')).groups.find((g: any) => g.group === GROUP)?.lag;

/** Empties the read model: its rows, and the group's record of what it has handled. */
async function deleteAnalytics(): Promise<void> {
  await sys.infra.db.query('truncate analytics.orders');
  await sys.infra.db.query('delete from analytics.inbox where group_id = $1', [GROUP]);
  expect((await figures()).orders).toBe(0);
}

/**
 * Rewinds the group. In the production topology its members run in the analytics process: that
 * process stops (leaving the group, as Kafka requires), the group is reset, the process starts again.
 */
async function rewind(...to: string[]): Promise<any> {
  const analytics = sys.processes?.find((p) => p.service === 'analytics');
  if (analytics) await analytics.process.stop();
  const res = await campusg('group', 'reset', GROUP, ...to);
  if (analytics) analytics.process = await analytics.process.restart();
  return res;
}

beforeAll(async () => {
  sys = await startSystem({ ADMIN_TOKEN });
});
afterAll(async () => {
  await quiesce(sys.infra.db, sys.infra.transport);
  expect(await checkInvariants(sys.infra.db)).toEqual([]);
  await sys.close();
});

describe.skipIf(e2eBus === 'rabbitmq')('analytics rebuilt from the log', () => {
  let cust: ApiClient;
  let runner: ApiClient;
  let before: any;
  let secondOrderAt: Date;

  it('builds its figures from the order and payment events', async () => {
    cust = await (await sys.client().register('Ana')).addCard();
    runner = await (await sys.client().register('Rex')).becomeRunner();
    const api = fetchClient(sys.url);
    const sagaEnd = pollSagaEnd(api);
    const first = await cust.createOrder();
    expect((await cust.saga(first.sagaId)).status).toBe('COMPLETED');
    await runner.orderIn(first.orderId, 'CREATED');
    expect(await acceptOrder(api, sagaEnd, runner.token!, first.orderId)).toBe('COMPLETED');
    await deliverOrder(api, sagaEnd, runner.token!, first.orderId);

    // Everything about the first order is in the log before this time; everything about the second after it.
    secondOrderAt = new Date();
    const second = await cust.createOrder();
    expect((await cust.saga(second.sagaId)).status).toBe('COMPLETED');
    const cancel = await cust.post(`/api/orders/${second.orderId}/cancel`);
    expect(cancel.status).toBe(202);
    expect((await cust.saga(cancel.body.sagaId)).status).toBe('COMPLETED');

    before = await waitFor(async () => {
      const f = await figures();
      return (await analyticsLag()) === 0 && f.orders === 2 && f.cancellations.length === 1 && f.runners.length === 1 ? f : undefined;
    }, 'the analytics figures of both orders');
    expect(before.cancellations).toEqual([{ reason: 'CUSTOMER_CANCELLED', count: 1 }]);
    expect(before.runners[0]).toMatchObject({ runnerId: runner.user.id, orders: 1 });
    expect(before.runners[0].earnedCents).toBeGreaterThan(0);
    expect(before.acceptanceSeconds).toBeGreaterThanOrEqual(0);
    expect(before.deliverySeconds).toBeGreaterThanOrEqual(0);
    expect(before.hourly.reduce((n: number, h: any) => n + h.created, 0)).toBe(2);
    expect(before.hourly.reduce((n: number, h: any) => n + h.completed, 0)).toBe(1);
  });

  it('gets the same figures back after its tables are deleted and its group rewound to the earliest offset', async () => {
    await deleteAnalytics();
    const reset = await rewind('--to-earliest');
    expect(reset).toMatchObject({ code: 0, group: GROUP, to: 'earliest' });
    expect(reset.lag).toBeGreaterThan(0);
    const after = await waitFor(async () => ((await analyticsLag()) === 0 ? figures() : undefined), 'the group to read the log again');
    expect(after).toEqual(before);
  });

  it('rewound to a time, rebuilds only what happened since', async () => {
    await deleteAnalytics();
    expect((await rewind('--to-time', secondOrderAt.toISOString())).code).toBe(0);
    const after = await waitFor(async () => ((await analyticsLag()) === 0 ? figures() : undefined), 'the group to read from the time');
    expect(after).toMatchObject({ orders: 1, cancellations: [{ reason: 'CUSTOMER_CANCELLED', count: 1 }], runners: [] });
  });
});

describe.skipIf(e2eBus !== 'rabbitmq')('a group on RabbitMQ', () => {
  it('cannot be rewound, and the operator is told so', async () => {
    await expect(campusg('group', 'reset', GROUP, '--to-earliest')).rejects.toThrow(/keeps no history/);
  });
});
