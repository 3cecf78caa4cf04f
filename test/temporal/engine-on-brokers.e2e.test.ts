import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.ts';
import { temporalEngineEnv } from '../support/environment.ts';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { describeWithKafka } from '../support/kafka.ts';
import { describeWithRabbitMq } from '../support/rabbitmq.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { startTopology } from '../support/topology.ts';

/**
 * How long a saga may take: every decision is a workflow task and an activity round trip, which
 * take seconds each on a busy two-core machine running a dozen processes.
 */
const SAGA_WAIT_MS = 60_000;

/**
 * The Temporal saga engine on the production buses: the multi-process topology on Kafka and
 * PostgreSQL (two `sagas` processes, each running a worker on the deployment's task queue and
 * sharing the sagas' consumer groups) and the one process on RabbitMQ. On each, an order from
 * creation to payout and five runners racing for one order; every saga is a workflow the Temporal
 * server ran to its end on the deployment's task queue, and the invariants hold afterwards.
 */
function onTemporal(start: (engine: Record<string, string>) => Promise<TestSystem>): void {
  let sys: TestSystem | undefined;
  let connection: Connection | undefined;
  let temporal: Client;
  let taskQueue: string;

  beforeAll(async () => {
    const engine = temporalEngineEnv();
    taskQueue = engine.TEMPORAL_TASK_QUEUE!;
    connection = await Connection.connect({ address: engine.TEMPORAL_ADDRESS! });
    temporal = new Client({ connection });
    sys = await start(engine);
    // The topology starts thirteen processes at once.
  }, 300_000);
  afterAll(async () => {
    try {
      if (sys) {
        await quiesce(sys.infra.db, sys.infra.transport, 60_000);
        expect(await checkInvariants(sys.infra.db)).toEqual([]);
      }
    } finally {
      await sys?.close();
      await connection?.close();
    }
  }, 180_000);

  /** Waits until the saga's workflow has ended, and returns what the Temporal server says of it. */
  const workflowOf = (sagaId: string) =>
    waitFor(
      async () => {
        const d = await temporal.workflow.getHandle(sagaId).describe();
        return d.status.name === 'RUNNING' ? undefined : { status: d.status.name, type: d.type, taskQueue: d.taskQueue };
      },
      `the workflow of saga ${sagaId} to end`,
      SAGA_WAIT_MS,
    );

  const customer = async () => (await sys!.client().register('Carol')).addCard();
  const runner = async (name: string) => (await sys!.client().register(name)).becomeRunner();

  it(
    'runs an order from creation to payout, each saga a workflow on the deployment task queue',
    async () => {
      const cust = await customer();
      const run = await runner('Rita');
      const created = await cust.createOrder();
      expect((await cust.saga(created.sagaId, undefined, SAGA_WAIT_MS)).status).toBe('COMPLETED');
      const accept = await run.post(`/api/orders/${created.orderId}/accept`);
      expect(accept.status).toBe(202);
      expect((await run.saga(accept.body.sagaId, undefined, SAGA_WAIT_MS)).status).toBe('COMPLETED');
      for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED'])
        expect((await run.post(`/api/orders/${created.orderId}/progress`, { status })).status).toBe(200);
      const complete = await run.post(`/api/orders/${created.orderId}/complete`);
      expect(complete.status).toBe(202);
      expect((await run.saga(complete.body.sagaId, undefined, SAGA_WAIT_MS)).status).toBe('COMPLETED');
      await cust.orderIn(created.orderId, 'COMPLETED');

      expect(await workflowOf(created.sagaId)).toEqual({ status: 'COMPLETED', type: 'createOrder', taskQueue });
      expect(await workflowOf(accept.body.sagaId)).toEqual({ status: 'COMPLETED', type: 'acceptOrder', taskQueue });
      expect(await workflowOf(complete.body.sagaId)).toEqual({ status: 'COMPLETED', type: 'completeOrder', taskQueue });
      expect((await cust.get(`/api/orders/${created.orderId}/payment`)).body).toMatchObject({ status: 'RELEASED', amountCents: 1380 });
      const wallet = (await run.get('/api/wallet')).body;
      expect(wallet).toMatchObject({ earnedCents: 1380 });
      expect(wallet.transactions.filter((t: { kind: string }) => t.kind === 'PAYOUT')).toHaveLength(1);
    },
    4 * SAGA_WAIT_MS,
  );

  it(
    'lets exactly one of five racing runners win',
    async () => {
      const cust = await customer();
      const { orderId, sagaId } = await cust.createOrder();
      expect((await cust.saga(sagaId, undefined, SAGA_WAIT_MS)).status).toBe('COMPLETED');
      const runners = await Promise.all(['R1', 'R2', 'R3', 'R4', 'R5'].map(runner));
      const starts = await Promise.all(runners.map((r) => r.post(`/api/orders/${orderId}/accept`)));
      expect(starts.every((s) => s.status === 202 || s.status === 409)).toBe(true);
      const sagas = await Promise.all(
        starts.map((s, i) => (s.status === 202 ? runners[i]!.saga(s.body.sagaId, undefined, SAGA_WAIT_MS) : null)),
      );
      expect(sagas.filter((s) => s?.status === 'COMPLETED')).toHaveLength(1);
      expect(sagas.filter((s) => s && s.status !== 'COMPLETED').every((s) => s!.status === 'COMPENSATED')).toBe(true);
      const winner = runners[sagas.findIndex((s) => s?.status === 'COMPLETED')]!;
      expect((await cust.orderIn(orderId, 'ACCEPTED')).runnerId).toBe(winner.user.id);
      for (const s of starts.filter((x) => x.status === 202))
        expect(await workflowOf(s.body.sagaId)).toEqual({ status: 'COMPLETED', type: 'acceptOrder', taskQueue });
    },
    4 * SAGA_WAIT_MS,
  );
}

describeWithKafka('sagas on Temporal, every service in its own process on Kafka and PostgreSQL', { database: true }, () => {
  describe('sagas on Temporal, every service in its own process on Kafka and PostgreSQL', () => {
    onTemporal((engine) => startTopology(engine));
  });
});

describeWithRabbitMq('sagas on Temporal, the one process on RabbitMQ', () => {
  describe('sagas on Temporal, the one process on RabbitMQ', () => {
    onTemporal((engine) => startSystem(engine, {}, 'rabbitmq'));
  });
});
