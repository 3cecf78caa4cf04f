import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.ts';
import { sampleOrderBody } from '../support/fixtures.ts';
import { closeChecked } from '../support/invariants.ts';
import { openStream } from '../support/sse.ts';
import { startSharedSystem, type TestSystem } from '../support/system.ts';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSharedSystem();
});
afterAll(() => closeChecked(sys));

describe('live updates on /api/stream', () => {
  it('pushes the order change, the notification and the available list as they happen', async () => {
    const cust = await (await sys.client().register('Sam')).addCard();
    const run = await (await sys.client().register('Rob')).becomeRunner();
    const custStream = await openStream(sys.url, cust.token!);
    const runStream = await openStream(sys.url, run.token!);
    expect(custStream.contentType).toContain('text/event-stream');
    try {
      const { orderId, sagaId } = await cust.createOrder();
      await cust.saga(sagaId);
      const created = await custStream.next(
        (e) => e.event === 'order' && e.data.id === orderId && e.data.status === 'CREATED',
        'order CREATED on the stream',
      );
      expect(created.data.totalCents).toBe(1380);
      await runStream.next((e) => e.event === 'available' && e.data.orderId === orderId && e.data.status === 'CREATED', 'available: added');

      await run.saga((await run.post(`/api/orders/${orderId}/accept`)).body.sagaId);
      const accepted = await custStream.next(
        (e) => e.event === 'order' && e.data.id === orderId && e.data.status === 'ACCEPTED',
        'order ACCEPTED',
      );
      expect(accepted.data.runnerId).toBe(run.user.id);
      const note = await custStream.next((e) => e.event === 'notification' && e.data.kind === 'ORDER_ACCEPTED', 'accepted notification');
      expect(note.data.text).toContain('Rob');
      await runStream.next(
        (e) => e.event === 'available' && e.data.orderId === orderId && e.data.status === 'ACCEPTED',
        'available: removed',
      );
      // The customer never receives the runners' available feed.
      expect(custStream.events.some((e) => e.event === 'available')).toBe(false);
    } finally {
      await custStream.close();
      await runStream.close();
    }
  });

  it('refuses an anonymous stream', async () => {
    expect((await sys.client().get('/api/stream')).status).toBe(401);
  });
});

describe('notifications', () => {
  it('tells the customer and the runner what happened, in words, and counts unread ones', async () => {
    const cust = await (await sys.client().register('Nina')).addCard();
    const run = await (await sys.client().register('Omar')).becomeRunner();
    const { orderId, sagaId } = await cust.createOrder();
    await cust.saga(sagaId);
    await run.saga((await run.post(`/api/orders/${orderId}/accept`)).body.sagaId);
    for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) {
      const res = await run.post(`/api/orders/${orderId}/progress`, { status });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    // Right after DELIVERED: the orchestrators' view of the order must catch up with it first.
    const complete = await run.post(`/api/orders/${orderId}/complete`);
    expect(complete.status, JSON.stringify(complete.body)).toBe(202);
    await run.saga(complete.body.sagaId);

    const customerKinds = ['ORDER_CREATED', 'ORDER_ACCEPTED', 'ORDER_PLACED', 'ORDER_ON_THE_WAY', 'ORDER_DELIVERED', 'ORDER_COMPLETED'];
    const mine = await waitFor(async () => {
      const res = (await cust.get('/api/notifications')).body;
      return res.items.length === customerKinds.length ? res : undefined;
    }, 'six customer notifications');
    expect(mine.items.map((n: any) => n.kind).reverse()).toEqual(customerKinds);
    expect(mine.unread).toBe(6);
    expect(mine.items.find((n: any) => n.kind === 'ORDER_ACCEPTED').text).toBe('Omar accepted your order.');

    const runner = await waitFor(async () => {
      const res = (await run.get('/api/notifications')).body;
      return res.items.length === 2 ? res : undefined;
    }, 'two runner notifications');
    expect(runner.items.map((n: any) => n.kind).sort()).toEqual(['ORDER_ACCEPTED', 'PAYOUT_RECEIVED']);
    expect(runner.items.find((n: any) => n.kind === 'PAYOUT_RECEIVED').text).toBe('Payout received: S$13.80.');

    const first = mine.items[0];
    expect((await cust.post(`/api/notifications/${first.id}/read`)).status).toBe(204);
    const after = (await cust.get('/api/notifications?unread=true')).body;
    expect(after.unread).toBe(5);
    expect(after.items.map((n: any) => n.id)).not.toContain(first.id);
  });

  it('explains a cancellation in words', async () => {
    const cust = await (await sys.client().register('Ivy')).addCard('4000000000000002');
    const { sagaId } = await cust.createOrder();
    await cust.saga(sagaId);
    const note = await waitFor(
      async () => (await cust.get('/api/notifications')).body.items.find((n: any) => n.kind === 'ORDER_CANCELLED'),
      'a cancellation notice',
    );
    expect(note.text).toBe('Your order was cancelled because your card was declined.');
  });
});

describe('timeline', () => {
  it('lists every bus message about the order, in the order it happened, with a sentence each', async () => {
    const cust = await (await sys.client().register('Tia')).addCard();
    const { orderId, sagaId } = await cust.createOrder();
    await cust.saga(sagaId);
    const expected = [
      'create_order',
      'order.created',
      'get_payment_info',
      'user.payment_info_retrieved',
      'authorize_payment',
      'payment.authorized',
      'update_order_status',
      'order.status_updated',
      'start_order_timer',
      'timer.started',
    ];
    // The audit log takes each topic as it comes: the saga's end can be logged before the reply
    // that ended it, so the timeline is read once every message of the saga is in it.
    const items = await waitFor(async () => {
      const res = (await cust.get(`/api/orders/${orderId}/timeline`)).body.items;
      const logged = new Set(res.map((i: any) => i.type));
      return ['saga.completed', ...expected].every((t) => logged.has(t)) ? res : undefined;
    }, 'the timeline to include every message of the saga');
    const types = items.map((i: any) => i.type).filter((t: string) => !t.startsWith('saga.'));
    expect(types).toEqual(expected);
    const times = items.map((i: any) => Date.parse(i.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const i of items) {
      expect(i.summary).toMatch(/^[A-Z].*\.$/);
      expect(i).toHaveProperty('messageId');
      expect(i).toHaveProperty('source');
    }
    expect(items.find((i: any) => i.type === 'payment.authorized').summary).toBe('S$13.80 is held on the card.');
    expect(new Set(items.map((i: any) => i.messageId)).size).toBe(items.length);
  });
});

describe('paging', () => {
  it('pages through more than one page newest first, every order exactly once', async () => {
    const cust = await (await sys.client().register('Pia')).addCard();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await cust.createOrder(sampleOrderBody({ instructions: `order ${i}` }))).orderId);
    await waitFor(async () => (await cust.get('/api/orders?limit=100')).body.items.length === 7 && true, 'all seven orders');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await cust.get(`/api/orders?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((o: any) => o.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
    // Filtering by status, and the runner's view.
    await waitFor(async () => (await cust.get('/api/orders?status=CREATED&limit=100')).body.items.length === 7 && true, 'all CREATED');
    const run = await (await sys.client().register('Ray')).becomeRunner();
    const available = (await run.get('/api/orders/available?limit=100')).body.items.map((o: any) => o.id);
    expect(created.every((id) => available.includes(id))).toBe(true);
    expect((await cust.get('/api/orders?as=runner')).body.items).toEqual([]);
  });
});

describe('operations endpoints', () => {
  it('serves health, readiness, Prometheus metrics and the OpenAPI document', async () => {
    const c = sys.client();
    expect((await c.get('/health')).body).toEqual({ status: 'ok' });
    expect((await c.get('/ready')).status).toBe(200);
    const cust = await (await sys.client().register('Mo')).addCard();
    await cust.saga((await cust.createOrder()).sagaId);
    const metrics = (await c.get('/metrics')).body as string;
    expect(metrics).toMatch(/campusg_sagas\{type="create-order",status="COMPLETED"\} [1-9]/);
    expect(metrics).toMatch(
      /campusg_messages_consumed_total\{group="order-service",topic="create_order_commands",type="create_order"\} [1-9]/,
    );
    expect(metrics).toMatch(/campusg_messages_produced_total\{topic="payment_events",type="payment.authorized"\} [1-9]/);
    expect(metrics).toMatch(/campusg_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/api\/orders"\}/);
    expect(metrics).toMatch(/campusg_consumer_lag\{group="notification-service",topic="order_events"\} \d+/);
    expect(metrics).toMatch(/campusg_saga_duration_seconds_count\{type="create-order",status="COMPLETED"\} [1-9]/);
    expect(metrics).toContain('campusg_outbox_backlog{schema="orders"} 0');
    const openapi = (await c.get('/api/openapi.json')).body;
    expect(openapi.openapi).toMatch(/^3\./);
    for (const path of ['/api/orders', '/api/orders/{id}/accept', '/api/auth/register', '/api/wallet', '/api/sagas/{id}', '/api/stream']) {
      expect(Object.keys(openapi.paths)).toContain(path);
    }
    // Profiles, giving back, ratings and the payout account are documented from their schemas too.
    expect(openapi.paths['/api/me'].patch.requestBody.content['application/json'].schema.properties.phone).toBeDefined();
    expect(openapi.paths['/api/orders/{id}/release'].post.responses['202']).toBeDefined();
    expect(openapi.paths['/api/orders/{id}/rating'].post.requestBody.content['application/json'].schema.properties.stars.maximum).toBe(5);
    expect(Object.keys(openapi.paths['/api/me/payout-account']).sort()).toEqual(['get', 'put']);
    const order = openapi.paths['/api/orders/{id}'].get.responses['200'].content['application/json'].schema;
    expect(order.properties).toHaveProperty('acceptBy');
    expect(order.properties).toHaveProperty('runner');
    expect(openapi.paths['/api/orders'].post.requestBody.content['application/json'].schema.properties.items.maxItems).toBe(50);
    const docs = await c.get('/api/docs/');
    expect(docs.status).toBe(200);
  });
});
