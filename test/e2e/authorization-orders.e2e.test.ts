import { describe, expect, it } from 'vitest';
import { type ApiClient, waitFor } from '../support/client.ts';
import { quiesce } from '../support/invariants.ts';
import {
  accepted,
  acceptedBy,
  created,
  createdOrder,
  expectAnswer,
  expectProblem,
  ownOrder,
  sys,
  UNKNOWN,
  useAuthorizationSystem,
  useCast,
  users,
  type Who,
} from './authorization-support.ts';

/**
 * Who may act on an order (docs/http-api.md): every order-scoped route against the order's customer, its
 * runner, other runners, other customers and non-runners, with the exact status and problem code;
 * the runner's steps, cancelling, and notifications.
 */

useAuthorizationSystem();
useCast();

describe('order-scoped routes × callers', () => {
  type Row = [route: string, who: Who, status: number, code?: string];
  const table = (route: string, expected: Partial<Record<Who, number | [number, string]>>): Row[] =>
    (Object.entries(expected) as [Who, number | [number, string]][]).map(([who, e]) =>
      typeof e === 'number' ? [route, who, e] : [route, who, e[0], e[1]],
    );
  const NF: [number, string] = [404, 'NOT_FOUND'];
  const FB: [number, string] = [403, 'FORBIDDEN'];

  /** Route templates: {created}, {accepted}, {unknown}, {createSaga}, {acceptSaga}. */
  const resolve = (route: string) => {
    const [method, template] = route.split(' ') as [string, string];
    const path = template
      .replace('{created}', created.orderId)
      .replace('{accepted}', accepted.orderId)
      .replace('{unknown}', UNKNOWN)
      .replace('{createSaga}', created.sagaId)
      .replace('{acceptSaga}', accepted.acceptSagaId);
    return { method, path };
  };

  const reads: Row[] = [
    // any runner may see an order while it is CREATED
    ...table('GET /api/orders/{created}', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: 200 }),
    // once ACCEPTED only its customer and its runner
    ...table('GET /api/orders/{accepted}', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/orders/{unknown}', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    // payment and timeline: its customer or its runner only
    ...table('GET /api/orders/{created}/payment', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/orders/{accepted}/payment', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/orders/{unknown}/payment', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/orders/{created}/timeline', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/orders/{accepted}/timeline', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/orders/{unknown}/timeline', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    // a saga: only the user whose request started it
    ...table('GET /api/sagas/{createSaga}', { customer: 200, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('GET /api/sagas/{acceptSaga}', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: 200, runnerB: NF }),
    ...table('GET /api/sagas/{unknown}', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
  ];
  it.each(reads)('%s as %s → %i %s', async (route, who, status, code) => {
    const { method, path } = resolve(route);
    const res = await users[who].request(method, path);
    expectAnswer(res, status, code);
    if (status === 200 && path.startsWith('/api/orders/') && !path.endsWith('/payment') && !path.endsWith('/timeline')) {
      expect(res.body.id).toBe(path.split('/')[3]);
    }
    if (status === 200 && path.endsWith('/payment')) expect(res.body.status).toBe('AUTHORIZED');
    if (status === 200 && path.endsWith('/timeline')) expect(res.body.items.length).toBeGreaterThan(0);
    if (status === 200 && path.startsWith('/api/sagas/')) expect(res.body.id).toBe(path.split('/')[3]);
  });

  /** Calls that would change nothing because they are refused. */
  const refused: Row[] = [
    ...table('POST /api/orders/{created}/accept', { customer: FB, otherCustomer: FB, nonRunner: FB }),
    ...table('POST /api/orders/{accepted}/accept', {
      customer: FB,
      otherCustomer: FB,
      nonRunner: FB,
      runnerA: [409, 'ORDER_NOT_AVAILABLE'],
      runnerB: [409, 'ORDER_NOT_AVAILABLE'],
    }),
    ...table('POST /api/orders/{unknown}/accept', { nonRunner: FB, runnerA: NF, runnerB: NF }),
    // progress: only the assigned runner; everyone else is told the order does not exist
    ...table('POST /api/orders/{accepted}/progress', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerB: NF }),
    ...table('POST /api/orders/{created}/progress', { customer: NF, otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('POST /api/orders/{unknown}/progress', { customer: NF, runnerA: NF }),
    // complete: only the assigned runner, and only when DELIVERED
    ...table('POST /api/orders/{accepted}/complete', {
      customer: NF,
      otherCustomer: NF,
      nonRunner: NF,
      runnerA: [409, 'INVALID_TRANSITION'],
      runnerB: NF,
    }),
    ...table('POST /api/orders/{created}/complete', { customer: NF, runnerA: NF, runnerB: NF }),
    ...table('POST /api/orders/{unknown}/complete', { runnerA: NF }),
    // cancel: only its customer
    ...table('POST /api/orders/{created}/cancel', { otherCustomer: NF, nonRunner: NF, runnerA: NF, runnerB: NF }),
    ...table('POST /api/orders/{accepted}/cancel', {
      customer: [409, 'ORDER_NOT_CANCELLABLE'],
      otherCustomer: NF,
      nonRunner: NF,
      runnerA: NF,
      runnerB: NF,
    }),
    ...table('POST /api/orders/{unknown}/cancel', { customer: NF }),
  ];
  it.each(refused)('%s as %s → %i %s', async (route, who, status, code) => {
    const { method, path } = resolve(route);
    const body = path.endsWith('/progress') ? { status: 'PLACED' } : undefined;
    expectAnswer(await users[who].request(method, path, body), status, code);
  });

  it('a customer who is also a runner cannot accept their own order (403 FORBIDDEN)', async () => {
    const own = await users.selfRunner.get(`/api/orders/${ownOrder.orderId}`);
    expect(own.status).toBe(200);
    expectProblem(await users.selfRunner.post(`/api/orders/${ownOrder.orderId}/accept`), 403, 'FORBIDDEN');
  });

  it('accepting an order that was cancelled before it ever became CREATED is 404: no runner could ever see it', async () => {
    // No card: the create-order saga cancels the order (NO_PAYMENT_METHOD) while it is still PENDING.
    const noCard = await sys.client().register('Nico');
    const o = await noCard.createOrder();
    expect((await noCard.saga(o.sagaId)).status).toBe('COMPENSATED');
    expect((await noCard.orderIn(o.orderId, 'CANCELLED')).cancelReason).toBe('NO_PAYMENT_METHOD');
    expectProblem(await users.runnerB.get(`/api/orders/${o.orderId}`), 404, 'NOT_FOUND');
    // docs/http-api.md#accept-an-order: an order the caller cannot know of is 404, so its existence never leaks.
    expectProblem(await users.runnerB.post(`/api/orders/${o.orderId}/accept`), 404, 'NOT_FOUND');
  });

  it('accepting an order its customer cancelled after it was CREATED is refused (404, or 409 ORDER_NOT_AVAILABLE)', async () => {
    const o = await createdOrder(users.otherCustomer);
    const cancel = await users.otherCustomer.post(`/api/orders/${o.orderId}/cancel`);
    expect(cancel.status).toBe(202);
    expect((await users.otherCustomer.saga(cancel.body.sagaId)).status).toBe('COMPLETED');
    const res = await users.runnerB.post(`/api/orders/${o.orderId}/accept`);
    if (res.status === 404) expectProblem(res, 404, 'NOT_FOUND');
    else expectProblem(res, 409, 'ORDER_NOT_AVAILABLE');
  });

  it('the refused calls changed nothing', async () => {
    await quiesce(sys.infra.db, sys.infra.transport);
    expect((await users.customer.get(`/api/orders/${created.orderId}`)).body).toMatchObject({ status: 'CREATED', runnerId: null });
    expect((await users.customer.get(`/api/orders/${accepted.orderId}`)).body).toMatchObject({
      status: 'ACCEPTED',
      runnerId: users.runnerA.user.id,
    });
    expect((await users.selfRunner.get(`/api/orders/${ownOrder.orderId}`)).body).toMatchObject({ status: 'CREATED', runnerId: null });
  });
});

describe('the assigned runner moves the order one step at a time', () => {
  it('refuses skipped and repeated steps with 409 INVALID_TRANSITION, other callers with 404, and completes only when DELIVERED', async () => {
    const { customer, runnerA, runnerB } = users;
    const o = await acceptedBy(customer, runnerA);
    const progress = (c: ApiClient, status: string) => c.post(`/api/orders/${o.orderId}/progress`, { status });
    const complete = (c: ApiClient) => c.post(`/api/orders/${o.orderId}/complete`);

    // ACCEPTED: only PLACED is next
    expectProblem(await progress(runnerA, 'ON_THE_WAY'), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expect((await progress(runnerA, 'PLACED')).body.status).toBe('PLACED');

    // PLACED: repeating or skipping is refused
    expectProblem(await progress(runnerA, 'PLACED'), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerB, 'ON_THE_WAY'), 404, 'NOT_FOUND');
    expectProblem(await progress(customer, 'ON_THE_WAY'), 404, 'NOT_FOUND');
    const onTheWay = await progress(runnerA, 'ON_THE_WAY');
    expect(onTheWay.status).toBe(200);
    expect(onTheWay.body.status).toBe('ON_THE_WAY');

    // ON_THE_WAY
    expectProblem(await progress(runnerA, 'PLACED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expect((await progress(runnerA, 'DELIVERED')).body.status).toBe('DELIVERED');

    // DELIVERED: nobody but the assigned runner may complete; others don't see it
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');
    expectProblem(await complete(runnerB), 404, 'NOT_FOUND');
    expectProblem(await complete(customer), 404, 'NOT_FOUND');
    expectProblem(await complete(users.nonRunner), 404, 'NOT_FOUND');
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}`), 404, 'NOT_FOUND');
    expectProblem(await customer.post(`/api/orders/${o.orderId}/cancel`), 409, 'ORDER_NOT_CANCELLABLE');
    expectProblem(await runnerA.post(`/api/orders/${o.orderId}/cancel`), 404, 'NOT_FOUND');

    const done = await complete(runnerA);
    expect(done.status).toBe(202);
    expect((await runnerA.saga(done.body.sagaId)).status).toBe('COMPLETED');
    await customer.orderIn(o.orderId, 'COMPLETED');
    expectProblem(await complete(runnerA), 409, 'INVALID_TRANSITION');
    expectProblem(await progress(runnerA, 'DELIVERED'), 409, 'INVALID_TRANSITION');

    // the complete-order saga is visible only to the runner who started it
    expect((await runnerA.get(`/api/sagas/${done.body.sagaId}`)).status).toBe(200);
    expectProblem(await customer.get(`/api/sagas/${done.body.sagaId}`), 404, 'NOT_FOUND');
    expectProblem(await runnerB.get(`/api/sagas/${done.body.sagaId}`), 404, 'NOT_FOUND');
    // and the completed order's payment and timeline stay with its two parties
    expect((await runnerA.get(`/api/orders/${o.orderId}/payment`)).body.status).toBe('RELEASED');
    expect((await customer.get(`/api/orders/${o.orderId}/timeline`)).status).toBe(200);
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}/payment`), 404, 'NOT_FOUND');
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}/timeline`), 404, 'NOT_FOUND');
  });
});

describe('cancel', () => {
  it('only the customer may cancel; the cancel saga is theirs alone', async () => {
    const { customer, otherCustomer, nonRunner, runnerA, runnerB } = users;
    const o = await createdOrder(customer);
    for (const c of [otherCustomer, nonRunner, runnerA, runnerB]) {
      expectProblem(await c.post(`/api/orders/${o.orderId}/cancel`), 404, 'NOT_FOUND');
    }
    expect((await customer.get(`/api/orders/${o.orderId}`)).body.status).toBe('CREATED');
    const res = await customer.post(`/api/orders/${o.orderId}/cancel`);
    expect(res.status).toBe(202);
    expect((await customer.saga(res.body.sagaId)).status).toBe('COMPLETED');
    for (const c of [otherCustomer, runnerA]) expectProblem(await c.get(`/api/sagas/${res.body.sagaId}`), 404, 'NOT_FOUND');
    await customer.orderIn(o.orderId, 'CANCELLED');
    // a cancelled order is no longer visible to runners
    expectProblem(await runnerB.get(`/api/orders/${o.orderId}`), 404, 'NOT_FOUND');
  });
});

describe('notifications', () => {
  it("marking someone else's notification read is 404 and changes nothing", async () => {
    const { customer, otherCustomer } = users;
    const first = await waitFor(async () => {
      const res = await customer.get('/api/notifications');
      return res.body.items.find((n: any) => !n.read);
    }, 'a notification for the customer');
    expectProblem(await otherCustomer.post(`/api/notifications/${first.id}/read`), 404, 'NOT_FOUND');
    expectProblem(await users.runnerA.post(`/api/notifications/${first.id}/read`), 404, 'NOT_FOUND');
    expectProblem(await customer.post(`/api/notifications/${UNKNOWN}/read`), 404, 'NOT_FOUND');
    const still = (await customer.get('/api/notifications')).body.items.find((n: any) => n.id === first.id);
    expect(still.read).toBe(false);
    expect((await customer.post(`/api/notifications/${first.id}/read`)).status).toBe(204);
    expect((await customer.get('/api/notifications')).body.items.find((n: any) => n.id === first.id).read).toBe(true);
  });
});
