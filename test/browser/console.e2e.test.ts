import { acceptOrder, deliverOrder, fetchClient, pollSagaEnd } from '@campusg/journeys';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { operatorCommand } from '../../apps/cli/src/operator.ts';
import { type ApiClient, waitFor } from '../support/client.ts';
import { userCommandDeadLetter } from '../support/fixtures.ts';
import { seen, shot } from './web-actions.ts';
import { CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, useWebApp } from './web-harness.ts';

/**
 * The operator console in a real browser against the real platform (the embedded default, or
 * Kafka with `CAMPUSG_E2E_BUS=kafka`): a wrong token refused, a FAILED saga retried, a dead letter
 * replayed, an order traced end to end, lag, topics, health and analytics — at desktop width, and
 * every page again on a 375 px phone without sideways scrolling. `SCREENSHOTS=1` refreshes
 * docs/screenshots/console-*.png.
 */

const ADMIN_TOKEN = 'console-token-console-token-0123456';

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)(`operator console in Chromium (${CHROMIUM})`, () => {
  const app = useWebApp({ ADMIN_TOKEN });
  let page: Page;
  let runner: ApiClient;
  let completedOrder = '';
  let failedSaga = '';
  let secondOrderAt = new Date();

  /** Runs a `campusg` operator command against the deployment and returns its JSON output. */
  async function campusg(...argv: string[]): Promise<any> {
    let output = '';
    const code = await operatorCommand([...argv, '--json'], { CAMPUSG_URL: app.sys.url, ADMIN_TOKEN }, (t) => (output += t));
    return { code, ...JSON.parse(output) };
  }
  const figures = async () =>
    (await app.sys.client().request('GET', '/admin/analytics', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` })).body;
  const analyticsLag = async () => (await campusg('lag')).groups.find((g: any) => g.group === 'analytics-service')?.lag;

  beforeAll(async () => {
    page = await app.newPage(DESKTOP);
    // History to look at, made over the API: one order delivered and paid out, then one whose payout
    // fails because the runner's payout account is gone (the complete-order saga ends FAILED).
    const cust = await (await app.sys.client().register('Olive')).addCard();
    runner = await (await app.sys.client().register('Rami')).becomeRunner();
    const api = fetchClient(app.sys.url);
    const sagaEnd = pollSagaEnd(api);
    for (const n of [1, 2]) {
      const { orderId, sagaId } = await cust.createOrder();
      expect((await cust.saga(sagaId)).status).toBe('COMPLETED');
      await runner.orderIn(orderId, 'CREATED');
      expect(await acceptOrder(api, sagaEnd, runner.token!, orderId)).toBe('COMPLETED');
      if (n === 1) {
        await deliverOrder(api, sagaEnd, runner.token!, orderId);
        completedOrder = orderId;
        // Everything about the first order is in the log before this time; the second order's events after it.
        secondOrderAt = new Date();
        continue;
      }
      for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED'])
        expect((await runner.post(`/api/orders/${orderId}/progress`, { status })).status).toBe(200);
      await app.sys.infra.db.query('update users.users set payout_account_id = null where id = $1', [runner.user.id]);
      const complete = await runner.post(`/api/orders/${orderId}/complete`);
      expect(complete.status).toBe(202);
      expect((await runner.saga(complete.body.sagaId)).status).toBe('FAILED');
      failedSaga = complete.body.sagaId;
    }
  });

  it('refuses a wrong token and keeps the right one for the session only', async () => {
    await page.goto('/console');
    await page.getByLabel('Operator token').fill('not-the-token');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await seen(page.getByText('That token was refused.'));
    await shot(page, 'console-token');
    await page.getByLabel('Operator token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await seen(page.getByRole('heading', { name: 'Sagas', exact: true }));
    expect(await page.evaluate('sessionStorage.getItem("campusg.operator-token")')).toBe(ADMIN_TOKEN);
    expect(await page.evaluate('localStorage.length + document.cookie.length')).toBe(0);
  });

  it('finds the FAILED saga, shows its steps and what it waits for, and retries it to completion', async () => {
    await page.getByLabel('Status').selectOption('FAILED');
    await seen(page.getByRole('link', { name: `Saga ${failedSaga}` }));
    await shot(page, 'console-sagas');
    await page.getByRole('link', { name: `Saga ${failedSaga}` }).click();
    await seen(page.getByRole('heading', { name: `Saga ${failedSaga.slice(0, 8)}` }));
    await seen(page.getByText('NOT_A_RUNNER'));
    const history = page.getByRole('list', { name: 'Saga history' });
    await seen(history.getByText('get_payout_info'));
    await seen(history.getByText('user.payout_info_failed'));
    await shot(page, 'console-saga-failed');

    // The operator restores the runner's payout account, then retries from the console.
    await app.sys.infra.db.query(`update users.users set payout_account_id = 'acct_restored' where id = $1`, [runner.user.id]);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry' }).click();
    await seen(page.getByText('Retried: the saga is RUNNING again.'));
    await seen(page.locator('.facts').getByText('COMPLETED'));
    expect((await runner.saga(failedSaga)).status).toBe('COMPLETED');
    await seen(history.getByText('operator_retry'));
    await shot(page, 'console-saga');
  });

  it('replays a dead letter to its topic, where it is handled', async () => {
    const userId = crypto.randomUUID();
    const { message, record } = userCommandDeadLetter(userId, 'console-test');
    await app.sys.infra.transport.publish([record]);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('button', { name: /^user_commands/ }).click();
    const letter = page.locator('.console-letter', { hasText: message.message_id });
    await seen(letter.getByText('database was read-only'));
    await seen(letter.getByText('user_commands[0]@0'));
    await shot(page, 'console-dead-letters');
    await letter.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click();
    await seen(page.getByText('Replayed 1 message(s) to user_commands.'));
    // The user service answers the replayed command (no such user).
    await waitFor(async () => {
      const rows = await app.sys.infra.db.query(`select type from notifications.audit_log where causation_id = $1`, [message.message_id]);
      return rows.some((r: any) => r.type === 'user.payment_info_failed');
    }, 'the reply to the replayed command');
  });

  it('traces an order end to end, each message under its cause, with who handled it', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Trace' }).click();
    await page.getByLabel('Order id').fill('not an id');
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await seen(page.getByText('Enter an order id (a UUID).'));
    await page.getByLabel('Order id').fill(completedOrder);
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    const trace = page.getByRole('list', { name: 'Trace' });
    await seen(trace.getByText('payment.released'));
    const types = await trace.locator('.trace__type').allTextContents();
    for (const t of [
      'create_order',
      'order.created',
      'authorize_payment',
      'payment.authorized',
      'accept_order',
      'order.accepted',
      'release_payment',
    ])
      expect(types).toContain(t);
    // Causal order: a command before its reply, the reply before what the saga sent next.
    expect(types.indexOf('create_order')).toBeLessThan(types.indexOf('order.created'));
    expect(types.indexOf('authorize_payment')).toBeLessThan(types.indexOf('payment.authorized'));
    expect(types.indexOf('release_payment')).toBeLessThan(types.indexOf('payment.released'));
    const create = trace.locator('.trace__item', { has: page.locator('.trace__type', { hasText: /^create_order$/ }) });
    await seen(create.getByText(/order-service → order\.created/));
    await shot(page, 'console-trace');
  });

  it('shows lag per group live, topics with their latest messages by key, health and the analytics figures', async () => {
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Lag' }).click();
    const analytics = page.getByRole('region', { name: 'Group analytics-service' });
    await seen(analytics);
    await seen(analytics.getByRole('img', { name: /Lag of analytics-service/ }));
    await shot(page, 'console-lag');

    await nav.getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('region', { name: 'Topic order_events' }).getByRole('button', { name: 'order_events' }).click();
    await page.getByLabel('Key (an order id)').fill(completedOrder);
    await page.getByRole('button', { name: 'Filter' }).click();
    const latest = page.getByRole('region', { name: 'Latest messages on order_events' });
    await seen(latest.getByText('order.created'));
    expect(await latest.locator('tbody tr').count()).toBeGreaterThanOrEqual(5);
    await shot(page, 'console-topics');

    await nav.getByRole('link', { name: 'Health' }).click();
    await seen(page.getByRole('region', { name: 'Bus' }).getByText('up', { exact: true }));
    await seen(page.getByRole('region', { name: 'Saga outcomes' }).getByText('COMPLETED'));
    // The one process is the one instance of every service.
    const instances = page.getByRole('region', { name: 'Instances', exact: true });
    await seen(instances.getByText('this process'));
    expect(await instances.locator('tbody tr').count()).toBe(1);
    await seen(instances.getByText('ready', { exact: true }));
    await seen(page.getByRole('region', { name: 'Services' }).getByRole('row', { name: /^order 1\/1 ready \d+ order-service$/ }));
    // People signing up while the page is open (their events are handled, no order is made): the handlers' latency is drawn.
    let signingUp = true;
    const signUps = (async () => {
      while (signingUp) await (await app.sys.client().register('Hana')).addCard();
    })();
    try {
      const latency = page.getByRole('region', { name: 'Handler latency' });
      await seen(latency.getByText(/p50 [\d.]+ ms · p95 [\d.]+ ms/));
      // A line, not a dot: the p95 of several readings in a row.
      const p95 = latency.getByRole('img', { name: /Handler latency p50 and p95/ }).locator('polyline.chart__line--strong');
      await waitFor(
        async () => (await p95.evaluateAll((lines) => Math.max(0, ...lines.map((l) => l.getAttribute('points')!.split(' ').length)))) >= 4,
        'the p95 line over four readings',
        30_000,
      );
      await seen(page.getByRole('region', { name: 'Slowest handlers' }).getByText('notification-service'));
      await shot(page, 'console-health');
    } finally {
      signingUp = false;
      await signUps;
    }

    await nav.getByRole('link', { name: 'Analytics' }).click();
    await seen(page.getByRole('region', { name: 'Runner earnings' }).getByText(`${runner.user.id.slice(0, 8)} (2)`));
    await shot(page, 'console-analytics');
  });

  it('rebuilds the analytics figures from the log after its tables are deleted: rewound to the earliest offset, or to a time', async () => {
    const before = await waitFor(async () => ((await analyticsLag()) === 0 ? figures() : undefined), 'the analytics group to catch up');
    expect(before).toMatchObject({ orders: 2, runners: [{ runnerId: runner.user.id, orders: 2 }] });
    expect(before.hourly.reduce((n: number, h: any) => n + h.completed, 0)).toBe(2);

    const deleteAnalytics = async () => {
      await app.sys.infra.db.query('truncate analytics.orders');
      await app.sys.infra.db.query(`delete from analytics.inbox where group_id = 'analytics-service'`);
    };
    await deleteAnalytics();
    await page.reload();
    await seen(page.getByText('No orders yet'));
    const reset = await campusg('group', 'reset', 'analytics-service', '--to-earliest');
    expect(reset).toMatchObject({ code: 0, group: 'analytics-service', to: 'earliest' });
    expect(reset.lag).toBeGreaterThan(0);
    const rebuilt = await waitFor(async () => ((await analyticsLag()) === 0 ? figures() : undefined), 'the group to read the log again');
    expect(rebuilt).toEqual(before);
    await seen(page.getByRole('region', { name: 'Runner earnings' }).getByText(`${runner.user.id.slice(0, 8)} (2)`));

    await deleteAnalytics();
    expect((await campusg('group', 'reset', 'analytics-service', '--to-time', secondOrderAt.toISOString())).code).toBe(0);
    const since = await waitFor(async () => ((await analyticsLag()) === 0 ? figures() : undefined), 'the group to read from the time');
    expect(since).toMatchObject({ orders: 1, runners: [{ runnerId: runner.user.id, orders: 1 }] });
  });

  it('fits every page on a phone without scrolling sideways', async () => {
    const phone = await app.newPage(PHONE);
    await phone.goto('/console');
    await phone.getByLabel('Operator token').fill(ADMIN_TOKEN);
    await phone.getByRole('button', { name: 'Open the console' }).click();
    await seen(phone.getByRole('heading', { name: 'Sagas', exact: true }));
    const pages = [
      ['sagas', 'Sagas'],
      [`sagas/${failedSaga}`, `Saga ${failedSaga.slice(0, 8)}`],
      [`trace/${completedOrder}`, 'Trace of an order'],
      ['dead-letters?topic=user_commands', 'Dead letters'],
      ['lag', 'Consumer lag'],
      ['topics', 'Topics'],
      ['health', 'Health'],
      ['analytics', 'Analytics'],
    ];
    for (const [path, heading] of pages) {
      await phone.goto(`/console/${path}`);
      await seen(phone.getByRole('heading', { name: heading, exact: true }));
      await seen(phone.locator('.card').first());
      expect(await phone.evaluate('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(PHONE.width);
    }
    await phone.getByRole('button', { name: 'Menu' }).click();
    await phone.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Sagas' }).click();
    await seen(phone.getByRole('heading', { name: 'Sagas', exact: true }));
    expect(app.consoleErrors).toEqual([]);
  });
});
