import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { type ServiceDeps, type ServiceModule, serviceMigrations } from '@campusg/messaging';
import { ORDER_VIEW_CONSUMING, orderViewHandlers, orderViewTableSql } from '@campusg/order-view';
import { loadMigrations, type Migration } from '@campusg/platform';
import { paymentHandlers } from './payment-handlers.ts';
import { PAYMENT_ORDERS, registerPaymentRoutes } from './payment-routes.ts';
import { gatewayRetention, SandboxGateway } from './sandbox-gateway.ts';

export { entriesFor, type LedgerKind } from './ledger.ts';
export { registerPaymentRoutes } from './payment-routes.ts';

export const PAYMENT_SCHEMA = 'payments';

export function paymentMigrations(): Migration[] {
  return serviceMigrations(PAYMENT_SCHEMA, loadMigrations(path.join(import.meta.dirname, '..', 'migrations')), {
    '000_order_view': orderViewTableSql(PAYMENT_SCHEMA),
  });
}

async function consume(deps: ServiceDeps): Promise<void> {
  const gateway = new SandboxGateway(deps.clock, deps.ids);
  const handlers = paymentHandlers({ gateway, clock: deps.clock, ids: deps.ids, platformFeeCents: deps.config.platformFeeCents });
  // Messages in chunks, a chunk's payments read and written together (`PaymentBook`). A chunk that
  // fails is rolled back and its messages handled again one by one; their gateway calls are then
  // asked again with the keys they were asked with, which a processor answers from its records.
  await deps.bus.consume(GROUPS.payment, GROUP_TOPICS[GROUPS.payment], handlers);
  // Who is on each order, for the payment view's access check.
  await deps.bus.consume(
    GROUPS.paymentOrderView,
    GROUP_TOPICS[GROUPS.paymentOrderView],
    orderViewHandlers(PAYMENT_ORDERS),
    ORDER_VIEW_CONSUMING,
  );
}

/** The payment service: holds, captures, payouts and the ledger, through the sandbox card gateway. */
export const paymentService: ServiceModule = {
  name: 'payment',
  schema: PAYMENT_SCHEMA,
  source: 'payment-service',
  migrations: paymentMigrations,
  manifest: [
    { method: 'GET', url: '/api/orders/:id/payment' },
    { method: 'GET', url: '/api/wallet' },
  ],
  open: ({ deps, auth }) => ({
    registerRoutes: (app) => registerPaymentRoutes(app, deps, auth),
    start: () => consume(deps),
    stop: async () => {},
    retention: () => [gatewayRetention(deps.db, deps.clock, deps.config.retention.inboxMs)],
  }),
};
