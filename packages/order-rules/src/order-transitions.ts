import type { OrderStatus, ProgressStatus } from '@campusg/contracts';

/** The order state machine (docs/sagas.md): every transition that exists. */
const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['CREATED', 'CANCELLED'],
  CREATED: ['ACCEPTED', 'CANCELLED'],
  ACCEPTED: ['CREATED', 'PLACED'],
  PLACED: ['ON_THE_WAY'],
  ON_THE_WAY: ['DELIVERED'],
  DELIVERED: ['COMPLETED'],
  COMPLETED: [],
  CANCELLED: [],
};

/** Whether an order may move from `from` to `to` at all (by any command or route). */
export const canTransition = (from: OrderStatus, to: OrderStatus): boolean => TRANSITIONS[from].includes(to);

const PROGRESS: Partial<Record<OrderStatus, ProgressStatus>> = { ACCEPTED: 'PLACED', PLACED: 'ON_THE_WAY', ON_THE_WAY: 'DELIVERED' };

/** The one step the assigned runner may take next over HTTP, if any. */
export function nextProgress(status: OrderStatus): ProgressStatus | null {
  return PROGRESS[status] ?? null;
}

/** Transitions the sagas may ask for with `update_order_status`; the others have their own commands. */
export const SAGA_STATUS_UPDATES: readonly (readonly [OrderStatus, OrderStatus])[] = [
  ['PENDING', 'CREATED'],
  ['DELIVERED', 'COMPLETED'],
];

/** Whether a saga's `update_order_status` from `expected` to `to` is one it may ask for. */
export const isSagaStatusUpdate = (expected: OrderStatus, to: OrderStatus): boolean =>
  SAGA_STATUS_UPDATES.some(([from, next]) => from === expected && next === to);

/** An order a customer may still cancel: no runner has accepted it yet. */
export const CANCELLABLE: readonly OrderStatus[] = ['PENDING', 'CREATED'];
/** Whether the customer may still cancel the order. */
export const isCancellable = (status: OrderStatus): boolean => CANCELLABLE.includes(status);

/** The status of an order open for runners: paid for (held) and not yet accepted. */
export const AVAILABLE_STATUS: OrderStatus = 'CREATED';
/** Whether runners see the order and may accept it. */
export const isAvailable = (status: OrderStatus): boolean => status === AVAILABLE_STATUS;

/** The status of an order whose runner may still be released (it goes back to the runners). */
export const RELEASABLE_STATUS: OrderStatus = 'ACCEPTED';

/** The status in which the customer and the runner may rate each other. */
export const RATABLE: OrderStatus = 'COMPLETED';

/** The status the runner completes from (the complete-order saga pays out, then COMPLETED). */
export const COMPLETABLE: OrderStatus = 'DELIVERED';

/** A runner's orders still in their hands: accepted and not yet completed. */
export const ACTIVE_RUNNER_STATUSES = ['ACCEPTED', 'PLACED', 'ON_THE_WAY', 'DELIVERED'] as const satisfies readonly OrderStatus[];
