/**
 * Records the workflow histories that `workflow-replay.int.test.ts` replays: runs every saga path
 * on the platform with `CAMPUSG_SAGA_ENGINE=temporal` against the Temporal server of
 * `TEMPORAL_ADDRESS`, and writes each workflow's history to `histories/<name>.json`.
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx sagas/test/temporal/record-histories.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { waitFor } from '../../../test/support/client.ts';
import { startSystem } from '../../../test/support/system.ts';

process.env.CAMPUSG_E2E_SAGA_ENGINE = 'temporal';
const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const sys = await startSystem({ ORDER_ACCEPT_TIMEOUT_MS: '3000' });
const client = new Client({ connection: await Connection.connect({ address }) });
const recorded: Record<string, string> = {};

try {
  const api = sys.client();
  const cust = await (await api.register('Carol')).addCard();
  const [rita, ravi] = await Promise.all([sys.client().register('Rita'), sys.client().register('Ravi')]);
  await Promise.all([rita.becomeRunner(), ravi.becomeRunner()]);

  // create → accept (a race, one loser) → deliver → complete.
  const created = await cust.createOrder();
  recorded['create-order-completed'] = (await cust.saga(created.sagaId)).id;
  const [won, lost] = await Promise.all([rita, ravi].map((r) => r.post(`/api/orders/${created.orderId}/accept`)));
  const sagas = await Promise.all([rita.saga(won!.body.sagaId), ravi.saga(lost!.body.sagaId)]);
  const winner = sagas[0].status === 'COMPLETED' ? rita : ravi;
  recorded['accept-order-completed'] = sagas.find((s) => s.status === 'COMPLETED').id;
  recorded['accept-order-lost-race'] = sagas.find((s) => s.status === 'COMPENSATED').id;
  for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) await winner.post(`/api/orders/${created.orderId}/progress`, { status });
  const complete = await winner.post(`/api/orders/${created.orderId}/complete`);
  recorded['complete-order-completed'] = (await winner.saga(complete.body.sagaId)).id;

  // A declined card, and a customer without a card: create-order compensates.
  const declined = await (await sys.client().register('Dee')).addCard('4000000000000002');
  recorded['create-order-declined'] = (await declined.saga((await declined.createOrder()).sagaId)).id;
  const nocard = await sys.client().register('Nocard');
  recorded['create-order-no-card'] = (await nocard.saga((await nocard.createOrder()).sagaId)).id;

  // The customer cancels; and an order nobody accepts is cancelled by its timer.
  const toCancel = await cust.createOrder();
  await cust.saga(toCancel.sagaId);
  const cancel = await cust.post(`/api/orders/${toCancel.orderId}/cancel`);
  recorded['cancel-order-customer'] = (await cust.saga(cancel.body.sagaId)).id;
  const expiring = await cust.createOrder();
  await cust.saga(expiring.sagaId);
  recorded['cancel-order-timeout'] = await waitFor(
    async () => {
      const [row] = await sys.infra.db.query<{ id: string }>(
        `select id from sagas.instances where type = 'cancel-order' and key = $1 and status = 'COMPLETED'`,
        [expiring.orderId],
      );
      return row?.id;
    },
    'the acceptance timeout',
    30_000,
  );

  for (const [name, workflowId] of Object.entries(recorded)) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    // protobufjs' own JSON form (enums by name, 64-bit integers and bytes as strings); History.fromObject reads it back.
    const json = proto.temporal.api.history.v1.History.toObject(history as proto.temporal.api.history.v1.History, {
      longs: String,
      enums: String,
      bytes: String,
    }) as { events: unknown[] };
    writeFileSync(
      path.join(import.meta.dirname, 'histories', `${name}.json`),
      `${JSON.stringify({ workflowId, history: json }, null, 1)}\n`,
    );
    console.log(`${name}: ${json.events.length} events`);
  }
} finally {
  await client.connection.close();
  await sys.close();
}
