import { createMessage } from '@campusg/contracts';
import { MessageBus } from '@campusg/messaging';
import { EmbeddedOutbox, type EmbeddedTransport } from '@campusg/messaging/embedded';
import { paymentService } from '@campusg/payment-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorCommand } from '../../apps/cli/src/operator.ts';
import { waitFor } from '../support/client.ts';
import { e2eBus } from '../support/environment.ts';
import { userCommandDeadLetter } from '../support/fixtures.ts';
import { closeChecked } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

const ADMIN_TOKEN = 'operator-token-operator-token-0123';
let sys: TestSystem;

/** Runs a `campusg` operator command against the test deployment and returns its JSON output. */
async function campusg(...argv: string[]): Promise<any> {
  let output = '';
  const code = await operatorCommand([...argv, '--json'], { CAMPUSG_URL: sys.url, ADMIN_TOKEN }, (t) => (output += t));
  return { code, ...JSON.parse(output) };
}

beforeAll(async () => {
  // A short step deadline, so the FAILED case below fails within seconds; long enough that no step
  // of a healthy saga misses it on a busy machine (the poison case needs its order COMPLETED).
  sys = await startSystem({ ADMIN_TOKEN, SAGA_STEP_TIMEOUT_MS: '2000', SAGA_MAX_ATTEMPTS: '2' });
});
afterAll(() => closeChecked(sys));

describe('bus hygiene', () => {
  it('dead-letters poison messages with the reason and keeps the partition flowing', async () => {
    // A real order waiting for a runner: its next command, accept_order, travels on order_commands keyed by its id.
    const cust = await (await sys.client().register('Pat')).addCard();
    const runner = await (await sys.client().register('Rue')).becomeRunner();
    const { orderId: key, sagaId } = await cust.createOrder();
    expect((await cust.saga(sagaId)).status).toBe('COMPLETED');
    await runner.orderIn(key, 'CREATED');
    const poison = [
      { value: '{not json', reason: 'NOT_JSON' },
      { value: JSON.stringify({ ...envelope('teleport_order', { order_id: key }) }), reason: 'UNKNOWN_TYPE' },
      { value: JSON.stringify(envelope('cancel_order', { order_id: key, reason: 'BECAUSE' })), reason: 'INVALID_PAYLOAD' },
      { value: JSON.stringify({ hello: 'world' }), reason: 'INVALID_ENVELOPE' },
    ];
    await sys.infra.transport.publish(poison.map((p) => ({ topic: 'order_commands', key, value: p.value, headers: {} })));
    // Behind the poison, on the same key, topic and partition, the order's accept still goes through:
    // were the partition stuck on the poison, accept_order would go unanswered and the saga would not complete.
    const accept = await runner.post(`/api/orders/${key}/accept`);
    expect(accept.status).toBe(202);
    expect((await runner.saga(accept.body.sagaId)).status).toBe('COMPLETED');
    await cust.orderIn(key, 'ACCEPTED');

    const { dead, audited } = await waitFor(async () => {
      const res = await campusg('dlq', 'list', 'order_commands');
      const of = (group: string) => res.items.filter((i: any) => i.group === group && poison.some((p) => p.value === i.value));
      const [dead, audited] = [of('order-service'), of('notification-service')];
      return dead.length === poison.length && audited.length === poison.length ? { dead, audited } : undefined;
    }, 'four dead letters from the order service and four from the notification service');
    expect(dead.map((d: any) => d.reason)).toEqual(poison.map((p) => p.reason));
    for (const d of dead) {
      expect(d.original.topic).toBe('order_commands');
      expect(d.original.offset).toBeGreaterThanOrEqual(0);
      expect(d.error.length).toBeGreaterThan(0);
    }
    // The notification service logs where it read each message: the accept came from the poison's
    // partition, after the poison (offsets compared within that one group, as RabbitMQ counts per group).
    const followUp = await waitFor(async () => {
      const [row] = await sys.infra.db.query<{ partition: number; offset: string }>(
        `select partition, "offset"::text as "offset" from notifications.audit_log
         where type = 'accept_order' and topic = 'order_commands' and order_id = $1`,
        [key],
      );
      return row;
    }, 'the accept_order command in the audit log');
    for (const d of [...dead, ...audited]) expect(d.original.partition).toBe(followUp.partition);
    for (const d of audited) expect(Number(followUp.offset)).toBeGreaterThan(d.original.offset);
    const metrics = (await sys.client().get('/metrics')).body as string;
    expect(metrics).toMatch(/campusg_messages_dead_lettered_total\{group="order-service",topic="order_commands",reason="NOT_JSON"\} [1-9]/);
  });

  it('replays a dead letter to its topic, where it is handled', async () => {
    const userId = crypto.randomUUID();
    const { message, record } = userCommandDeadLetter(userId, 'operations-test');
    await sys.infra.transport.publish([record]);
    const replay = await campusg('dlq', 'replay', 'user_commands', '--id', message.message_id);
    expect(replay.replayed).toBe(1);
    // The user service answers the replayed command (no such user).
    await waitFor(async () => {
      const rows = await sys.infra.db.query(`select type from notifications.audit_log where causation_id = $1`, [message.message_id]);
      return rows.some((r: any) => r.type === 'user.payment_info_failed');
    }, 'the reply to the replayed command');
  });
});

describe.skipIf(e2eBus !== 'embedded')('sagas an operator must look at', () => {
  it('lists a FAILED saga, shows what it waits for, and a retry finishes its compensation', async () => {
    const infra = sys.platform!.infra;
    const payments = infra.depsFor('payments');
    // The payment service stops consuming: authorisations and the reverts after them go unanswered.
    await payments.bus.close();
    const cust = await (await sys.client().register('Fay')).addCard();
    const { orderId, sagaId } = await cust.createOrder();
    const failed = await cust.saga(sagaId);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain('revert_payment');

    const list = await campusg('saga', 'list', '--status', 'FAILED');
    expect(list.items.map((s: any) => s.id)).toContain(sagaId);
    const shown = await campusg('saga', 'show', sagaId);
    expect(shown).toMatchObject({ status: 'FAILED', failedIn: 'compensation', orderId });
    expect(shown.history.map((h: any) => `${h.kind}:${h.type}`)).toEqual(
      expect.arrayContaining(['command:authorize_payment', 'timeout:authorize_payment', 'compensation:revert_payment']),
    );

    // The payment service comes back and works through what waited for it.
    const bus = new MessageBus({ ...busDeps(infra), schema: 'payments', source: 'payment-service' });
    await paymentService.open({ deps: { ...payments, bus }, auth: async () => {}, operator: undefined }).start();
    const retried = await campusg('saga', 'retry', sagaId);
    expect(retried).toMatchObject({ code: 0, retried: true, status: 'COMPENSATING' });
    const done = await cust.saga(sagaId);
    expect(done.status).toBe('COMPENSATED');
    expect(done.history.some((h: any) => h.type === 'operator_retry')).toBe(true);
    expect((await cust.orderIn(orderId, 'CANCELLED')).cancelReason).toBe('SYSTEM_ERROR');
    await waitFor(async () => (await cust.get(`/api/orders/${orderId}/payment`)).body.status === 'REVERTED', 'the hold to be voided');
    expect((await campusg('saga', 'retry', sagaId)).retried).toBe(false);
  });

  it('shows consumer lag per group, and refuses callers without the operator token', async () => {
    const lag = await campusg('lag');
    expect(lag.groups.map((g: any) => g.group)).toEqual(
      expect.arrayContaining(['order-service', 'notification-service', 'create-order-saga-orchestrator']),
    );
    expect((await sys.client().get('/admin/lag')).status).toBe(401);
    const cust = await sys.client().register('Eve');
    expect((await cust.get('/admin/sagas')).status).toBe(401);
  });
});

function envelope(type: string, payload: Record<string, unknown>) {
  return createMessage(type as never, payload as never, {
    messageId: crypto.randomUUID(),
    correlationId: crypto.randomUUID(),
    causationId: null,
    source: 'operations-test',
    timestamp: new Date(),
  });
}

function busDeps(infra: NonNullable<TestSystem['platform']>['infra']) {
  const { config } = infra;
  return {
    db: infra.db,
    transport: infra.transport,
    outbox: new EmbeddedOutbox(infra.transport as EmbeddedTransport),
    clock: infra.clock,
    ids: infra.ids,
    log: infra.log,
    metrics: infra.metrics,
    maxAttempts: config.busMaxAttempts,
    retryBaseMs: config.busRetryBaseMs,
    chunkSize: config.busChunkSize,
  };
}
