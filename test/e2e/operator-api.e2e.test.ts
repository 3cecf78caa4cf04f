import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type Res, waitFor } from '../support/client.ts';
import { e2eBus } from '../support/environment.ts';
import { userCommandDeadLetter } from '../support/fixtures.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

/**
 * The operator API as the console reads it, on every deployment the e2e projects run: the one
 * process (embedded, RabbitMQ) and the topology behind the gateway (Kafka). What a transport cannot
 * do (RabbitMQ keeps no history) is refused in words, never a 500 or an empty answer. The health
 * report lists each service's instances: the one process under every service, or every process the
 * gateway knows, one of which is then killed.
 */

const ADMIN_TOKEN = 'operator-api-token-operator-api-0123';
const RABBITMQ = e2eBus === 'rabbitmq';
let sys: TestSystem;
let operator: ApiClient;

const admin = <T = any>(method: string, path: string, body?: unknown): Promise<Res<T>> =>
  operator.request<T>(method, path, body, { authorization: `Bearer ${ADMIN_TOKEN}` });

beforeAll(async () => {
  sys = await startSystem({ ADMIN_TOKEN });
  operator = sys.client();
});
afterAll(() => closeChecked(sys));

describe('the operator routes the console reads', () => {
  let orderId = '';
  let sagaId = '';

  beforeAll(async () => {
    const cust = await (await sys.client().register('Opal')).addCard();
    ({ orderId, sagaId } = await cust.createOrder());
    expect((await cust.saga(sagaId)).status).toBe('COMPLETED');
  });

  it('lists and shows sagas, and traces an order across its topics', async () => {
    const list = await admin('GET', `/admin/sagas?orderId=${orderId}`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((s: any) => s.id)).toContain(sagaId);
    const saga = await admin('GET', `/admin/sagas/${sagaId}`);
    expect(saga.body).toMatchObject({ id: sagaId, status: 'COMPLETED', steps: expect.arrayContaining(['authorize_payment']) });
    const types = await waitFor(async () => {
      const trace = await admin('GET', `/admin/orders/${orderId}/trace`);
      const seen: string[] = trace.body.items?.map((i: any) => i.type) ?? [];
      return seen.includes('payment.authorized') && seen;
    }, 'the order traced through its authorisation');
    expect(types.indexOf('create_order')).toBeLessThan(types.indexOf('order.created'));
  });

  it('counts, lists and replays dead letters', async () => {
    const { message, record } = userCommandDeadLetter(crypto.randomUUID(), 'operator-api-test');
    await sys.infra.transport.publish([record]);
    await waitFor(async () => {
      const counts = await admin('GET', '/admin/dlq');
      return counts.body.topics.find((t: any) => t.topic === 'user_commands')?.count >= 1;
    }, 'the dead letter counted on user_commands');
    const letters = await admin('GET', '/admin/dlq/user_commands');
    const letter = letters.body.items.find((i: any) => i.messageId === message.message_id);
    expect(letter).toMatchObject({ reason: 'HANDLER_ERROR', group: 'user-service', original: { topic: 'user_commands' } });
    expect((await admin('POST', '/admin/dlq/user_commands/replay', { messageId: message.message_id })).body).toEqual({ replayed: 1 });
  });

  it('shows lag per group and each topic with its messages so far', async () => {
    const lag = await admin('GET', '/admin/lag');
    expect(lag.status).toBe(200);
    const groups = lag.body.groups.map((g: any) => g.group);
    expect(groups).toEqual(expect.arrayContaining(['order-service', 'notification-service', 'analytics-service']));
    const orderService = lag.body.groups.find((g: any) => g.group === 'order-service');
    expect(orderService.partitions.length).toBeGreaterThan(0);

    const topics = await waitFor(async () => {
      const res = await admin('GET', '/admin/topics');
      const orderEvents = res.body.topics.find((t: any) => t.topic === 'order_events');
      return orderEvents?.messages > 0 && res.body;
    }, 'order_events to have messages');
    expect(topics.history).toBe(!RABBITMQ);
    expect(topics.topics.find((t: any) => t.topic === 'order_events').partitions).toBeGreaterThan(0);
  });

  it.runIf(RABBITMQ)('says plainly that RabbitMQ cannot list a topic’s messages nor rewind a group', async () => {
    const messages = await admin('GET', `/admin/topics/order_events/messages?key=${orderId}`);
    expect(messages.status).toBe(409);
    expect(messages.headers.get('content-type')).toContain('application/problem+json');
    expect(messages.body.detail).toBe(
      'rabbitmq keeps no history: acknowledged messages are gone, so the messages of a topic cannot be listed',
    );
    const reset = await admin('POST', '/admin/groups/analytics-service/reset', { to: 'earliest' });
    expect(reset.status).toBe(409);
    expect(reset.body.detail).toBe('rabbitmq keeps no history: acknowledged messages are gone, so analytics-service cannot be rewound');
  });

  it.skipIf(RABBITMQ)('lists a topic’s latest messages of one key', async () => {
    const messages = await admin('GET', `/admin/topics/order_events/messages?key=${orderId}`);
    expect(messages.status).toBe(200);
    expect(messages.body.items.map((m: any) => m.type)).toContain('order.created');
    expect(messages.body.items.every((m: any) => m.key === orderId)).toBe(true);
  });

  it('reports the bus, with whether it keeps history, and the analytics figures', async () => {
    const health = await admin('GET', '/admin/health');
    expect(health.status).toBe(200);
    expect(health.body.transport).toMatchObject({ up: true, replay: !RABBITMQ });
    const figures = await waitFor(async () => {
      const res = await admin('GET', '/admin/analytics');
      return res.body.orders >= 1 && res.body;
    }, 'the order in the analytics figures');
    expect(figures.hourly.length).toBeGreaterThan(0);
  });

  it('refuses every one of them without the operator token', async () => {
    for (const path of ['/admin/health', '/admin/topics', '/admin/lag', '/admin/dlq', `/admin/orders/${orderId}/trace`, '/admin/analytics'])
      expect((await sys.client().get(path)).status, path).toBe(401);
  });
});

describe('each service’s instances', () => {
  /** The processes of the topology that run `service` (analytics runs beside notification). */
  const processesOf = (service: string) =>
    (sys.processes ?? []).filter((p) => p.service === service || (service === 'analytics' && p.service === 'notification'));

  it('lists every instance of every service with who it is, each ready', async () => {
    const health = (await admin('GET', '/admin/health')).body;
    expect(health.services.map((s: any) => s.name).sort()).toEqual(
      ['analytics', 'notification', 'order', 'payment', 'sagas', 'timer', 'user'].sort(),
    );
    for (const service of health.services) {
      expect(service.instances.length, service.name).toBeGreaterThan(0);
      for (const instance of service.instances) {
        expect(instance, service.name).toMatchObject({ state: 'ready', problem: null, version: expect.any(String) });
        expect(instance.services).toContain(service.name);
        expect(instance.uptimeSeconds).toBeGreaterThanOrEqual(0);
      }
    }
    if (e2eBus !== 'topology') {
      // The one process hosts every service.
      expect(health.view).toBe('process');
      const ids = health.services.flatMap((s: any) => s.instances.map((i: any) => `${i.url} ${i.id}`));
      expect(new Set(ids)).toEqual(new Set([`null ${hostname()}:${process.pid}`]));
      return;
    }
    expect(health.view).toBe('gateway');
    for (const service of health.services) {
      const expected = processesOf(service.name).map((p) => ({ url: p.process.url, id: `${hostname()}:${p.process.child.pid}` }));
      expect(
        service.instances.map((i: any) => ({ url: i.url, id: i.id })),
        service.name,
      ).toEqual(expected);
    }
    expect(health.services.find((s: any) => s.name === 'order').instances).toHaveLength(2);
  });

  it.runIf(e2eBus === 'topology')('reports an instance killed with -9 as down while every other stays ready', async () => {
    const [survivor, victim] = processesOf('order').map((p) => p.process);
    await victim!.kill9();
    const health = await waitFor(async () => {
      const body = (await admin('GET', '/admin/health')).body;
      const order = body.services.find((s: any) => s.name === 'order');
      return order.instances.find((i: any) => i.url === victim!.url)?.state === 'down' && body;
    }, 'the killed order instance reported down');
    const instances = health.services.flatMap((s: any) => s.instances.map((i: any) => ({ service: s.name, ...i })));
    const down = instances.filter((i: any) => i.state !== 'ready');
    expect(down).toEqual([expect.objectContaining({ service: 'order', url: victim!.url, id: null, problem: 'connection refused' })]);
    expect(instances.find((i: any) => i.url === survivor!.url)).toMatchObject({ state: 'ready' });
    // The rest of the report still comes from the sagas process.
    expect(health.transport).toMatchObject({ up: true });
    expect(health.problem).toBeNull();
  });
});
