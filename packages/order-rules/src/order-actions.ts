import type { OrderStatus } from '@campusg/contracts';
import { COMPLETABLE, isAvailable, isCancellable, nextProgress, RATABLE, RELEASABLE_STATUS } from './order-transitions.ts';

/** The parts of an order that decide who may act on it (the Order object, or any view of it). */
export interface OrderParties {
  customerId: string;
  runnerId: string | null;
  status: OrderStatus;
}

/** Who asks: the authenticated caller. */
export interface Caller {
  id: string;
  roles: readonly string[];
}

/** Why an action is refused: an error code of docs/http-api.md and its message. */
export interface Refusal {
  code: 'NOT_FOUND' | 'FORBIDDEN' | 'ORDER_NOT_AVAILABLE' | 'INVALID_TRANSITION' | 'ORDER_NOT_CANCELLABLE';
  message: string;
}

const NO_SUCH_ORDER: Refusal = { code: 'NOT_FOUND', message: 'no such order' };

/** A runner: a user who took the runner role and may deliver orders. */
export const isRunner = (user: Caller): boolean => user.roles.includes('runner');

/** The order's customer or its runner: they see everything about it (payment, timeline). */
export const isPartyTo = (order: Pick<OrderParties, 'customerId' | 'runnerId'>, user: Pick<Caller, 'id'>): boolean =>
  order.customerId === user.id || order.runnerId === user.id;

/** Who may read an order: its customer, its runner, and any runner while it is open for accepting. */
export function canView(order: OrderParties, user: Caller): boolean {
  return isPartyTo(order, user) || (isAvailable(order.status) && isRunner(user));
}

/** Only runners see the orders open for accepting. */
export function maySeeAvailable(user: Caller): Refusal | null {
  return isRunner(user) ? null : { code: 'FORBIDDEN', message: 'only runners see available orders' };
}

/** Before the order is looked up: only runners accept orders. */
export function mayAcceptAny(user: Caller): Refusal | null {
  return isRunner(user) ? null : { code: 'FORBIDDEN', message: 'only runners accept orders' };
}

/** A runner accepts an open order that is not their own. `null` means they may. */
export function mayAccept(order: OrderParties | undefined, user: Caller): Refusal | null {
  const refused = mayAcceptAny(user);
  if (refused) return refused;
  // Runners only ever see open orders and those past them; a pending or cancelled one is not theirs to know of.
  if (!order || order.status === 'PENDING' || order.status === 'CANCELLED') return NO_SUCH_ORDER;
  if (order.customerId === user.id) return { code: 'FORBIDDEN', message: 'you cannot accept your own order' };
  // Every runner saw it while it was open, so saying another runner has it leaks nothing.
  if (!isAvailable(order.status)) return { code: 'ORDER_NOT_AVAILABLE', message: `the order is ${order.status}` };
  return null;
}

/** The assigned runner completes a delivered order. */
export function mayComplete(order: OrderParties | undefined, user: Caller): Refusal | null {
  if (!order || order.runnerId !== user.id) return NO_SUCH_ORDER;
  if (order.status !== COMPLETABLE) return { code: 'INVALID_TRANSITION', message: `an order that is ${order.status} cannot be completed` };
  return null;
}

/** The customer cancels until a runner accepts. */
export function mayCancel(order: OrderParties | undefined, user: Caller): Refusal | null {
  if (!order || order.customerId !== user.id) return NO_SUCH_ORDER;
  if (!isCancellable(order.status)) {
    return { code: 'ORDER_NOT_CANCELLABLE', message: `an order that is ${order.status} can no longer be cancelled` };
  }
  return null;
}

/** The assigned runner gives the order back while they have not yet placed it at the store. */
export function mayRelease(order: OrderParties | undefined, user: Caller): Refusal | null {
  if (!order || order.runnerId !== user.id) return NO_SUCH_ORDER;
  if (order.status !== RELEASABLE_STATUS) {
    return { code: 'INVALID_TRANSITION', message: `an order that is ${order.status} can no longer be given back` };
  }
  return null;
}

/**
 * Either party rates the other once the order is completed: the customer its runner, the runner
 * its customer. Returns who is rated, or the refusal.
 */
export function mayRate(order: OrderParties | undefined, user: Caller): { rateeId: string } | Refusal {
  if (!order || !isPartyTo(order, user)) return NO_SUCH_ORDER;
  if (order.status !== RATABLE || !order.runnerId) {
    return { code: 'INVALID_TRANSITION', message: `an order that is ${order.status} cannot be rated yet` };
  }
  return { rateeId: order.customerId === user.id ? order.runnerId : order.customerId };
}

/** The assigned runner moves the order one step (`nextProgress`). */
export function mayProgress(order: OrderParties | undefined, user: Caller, to: OrderStatus): Refusal | null {
  if (!order || order.runnerId !== user.id) return NO_SUCH_ORDER;
  if (nextProgress(order.status) !== to)
    return { code: 'INVALID_TRANSITION', message: `an order that is ${order.status} cannot move to ${to}` };
  return null;
}

/** The runner's next move on an order they hold: a progress step, or completing it. */
export function nextRunnerMove(
  status: OrderStatus,
): { progress: NonNullable<ReturnType<typeof nextProgress>> } | { complete: true } | null {
  const next = nextProgress(status);
  if (next) return { progress: next };
  return status === COMPLETABLE ? { complete: true } : null;
}
