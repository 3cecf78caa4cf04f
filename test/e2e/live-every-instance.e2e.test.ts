/**
 * Live updates reach a stream whichever notification instance's group handled the event. In the
 * production topology (the kafka project) the streams are opened on ONE notification instance
 * directly, not through the gateway, while the two instances split the partitions: every event of
 * orders spread over all of them must still arrive there, once. In one process (embedded, RabbitMQ)
 * the same streams run on that process, through the transport's ephemeral subscription.
 */
import { partitionFor } from '@campusg/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, waitFor } from '../support/client.ts';
import { closeChecked } from '../support/invariants.ts';
import { openStream, type SseEvent } from '../support/sse.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { gatewayIdentity } from '../support/topology.ts';

const ORDERS = 20;
/** Orders created, or accepted, at once. */
const WAVE = 5;
/** Partitions of every topic: the deployments' default (`CAMPUSG_PARTITIONS`). */
const PARTITIONS = 3;

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(() => closeChecked(sys));

/** One notification instance, and how a user's stream there says who it is (the gateway's signed identity, or the token). */
async function oneNotificationInstance(user: ApiClient) {
  const instances = sys.processes?.filter((p) => p.service === 'notification') ?? [];
  if (instances.length === 0) return { url: sys.url, auth: user.token! as string | Record<string, string>, others: [] };
  return { url: instances[0]!.process.url, auth: await gatewayIdentity(sys, user.token!), others: instances.slice(1) };
}

describe('live updates with the notification service scaled out', () => {
  it(`a stream on one instance gets every event of ${ORDERS} orders spread over every partition, each once`, async () => {
    const cust = await (await sys.client().register('Lia')).addCard();
    const run = await (await sys.client().register('Max')).becomeRunner();
    const here = await oneNotificationInstance(cust);
    const custStream = await openStream(here.url, here.auth);
    const runStream = await openStream(here.url, (await oneNotificationInstance(run)).auth);
    try {
      const orders: string[] = [];
      const partitions = () => new Set(orders.map((id) => partitionFor('order_events', id, PARTITIONS)));
      // At least ORDERS, and on to every partition (the order ids are the server's, and random); a
      // few at a time, so that no saga waits behind all the others on a busy machine.
      while (orders.length < ORDERS || partitions().size < PARTITIONS) {
        const created = await Promise.all(Array.from({ length: WAVE }, () => cust.createOrder()));
        await Promise.all(created.map((o) => cust.saga(o.sagaId)));
        orders.push(...created.map((o) => o.orderId));
      }
      for (let i = 0; i < orders.length; i += WAVE) {
        const accepting = orders.slice(i, i + WAVE).map(async (id) => (await run.post(`/api/orders/${id}/accept`)).body.sagaId);
        await Promise.all(accepting.map(async (sagaId) => run.saga(await sagaId)));
      }

      const has = (events: SseEvent[], match: (e: SseEvent) => boolean) => events.some(match);
      const order = (id: string, status: string) => (e: SseEvent) => e.event === 'order' && e.data.id === id && e.data.status === status;
      const notice = (id: string, kind: string) => (e: SseEvent) =>
        e.event === 'notification' && e.data.orderId === id && e.data.kind === kind;
      const available = (id: string, status: string) => (e: SseEvent) =>
        e.event === 'available' && e.data.orderId === id && e.data.status === status;
      const complete = () =>
        orders.every(
          (id) =>
            has(custStream.events, order(id, 'ACCEPTED')) &&
            has(custStream.events, notice(id, 'ORDER_CREATED')) &&
            has(custStream.events, notice(id, 'ORDER_ACCEPTED')) &&
            has(runStream.events, notice(id, 'ORDER_ACCEPTED')) &&
            has(runStream.events, available(id, 'CREATED')) &&
            has(runStream.events, available(id, 'ACCEPTED')),
        );
      await waitFor(async () => complete(), `every event of ${orders.length} orders on the streams of one instance`, 60_000);

      for (const id of orders) {
        // The order as a client then reads it: with its runner once accepted.
        expect(custStream.events.find(order(id, 'ACCEPTED'))!.data.runnerId).toBe(run.user.id);
        // Each event once, whichever instance's group handled it.
        expect(runStream.events.filter(available(id, 'CREATED'))).toHaveLength(1);
        expect(runStream.events.filter(available(id, 'ACCEPTED'))).toHaveLength(1);
      }
      for (const stream of [custStream, runStream]) {
        const ids = stream.events.filter((e) => e.event === 'notification').map((e) => e.data.id);
        expect(new Set(ids).size).toBe(ids.length);
      }
      // The customer gets nothing of the runners' list.
      expect(custStream.events.some((e) => e.event === 'available')).toBe(false);

      // The point: the other instance's group handled part of these order events, and this stream still got them.
      for (const other of here.others) {
        const metrics = await (await fetch(`${other.process.url}/metrics`)).text();
        expect(metrics).toMatch(
          /campusg_messages_consumed_total\{group="notification-service",topic="order_events",type="order\.accepted"\} [1-9]/,
        );
      }
      // And the gateway spread this test's requests over both instances of the services it called.
      for (const service of ['user', 'sagas']) {
        for (const p of sys.processes?.filter((x) => x.service === service) ?? []) {
          const metrics = await (await fetch(`${p.process.url}/metrics`)).text();
          expect(metrics, `${service} at ${p.process.url}`).toMatch(/campusg_http_requests_total\{[^}]*route="\/api\/[^}]*\} [1-9]/);
        }
      }
    } finally {
      await custStream.close();
      await runStream.close();
    }
  });
});
