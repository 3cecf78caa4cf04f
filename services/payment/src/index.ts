import path from 'node:path';
import { GROUP_TOPICS, GROUPS } from '@campusg/contracts';
import { messagingTablesSql, type ServiceDeps } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';
import { paymentHandlers } from './payment-handlers.ts';
import { SandboxGateway } from './sandbox-gateway.ts';

export { entriesFor, type LedgerKind } from './ledger.ts';
export { type OrderParties, registerPaymentRoutes } from './payment-routes.ts';

export const PAYMENT_SCHEMA = 'payments';

export function paymentMigrations(): Migration[] {
  return [{ id: '000_messaging', sql: messagingTablesSql(PAYMENT_SCHEMA) }, ...loadMigrations(path.join(import.meta.dirname, '..', 'migrations'))];
}

export async function startPaymentService(deps: ServiceDeps): Promise<void> {
  const gateway = new SandboxGateway(deps.clock, deps.ids);
  const handlers = paymentHandlers({ gateway, clock: deps.clock, ids: deps.ids, platformFeeCents: deps.config.platformFeeCents });
  await deps.bus.consume(GROUPS.payment, GROUP_TOPICS[GROUPS.payment], handlers);
}
