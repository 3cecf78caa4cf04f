import { ORDER_STATUSES, type OrderStatus } from '@campusg/contracts';
import { describe, expect, it } from 'vitest';
import { CANCELLABLE, canTransition, canView, isSagaStatusUpdate, nextProgress, SAGA_STATUS_UPDATES } from '../src/index.ts';

// The order state machine of docs/sagas.md, every pair checked: these and only these transitions exist.
const ALLOWED: [OrderStatus, OrderStatus][] = [
  ['PENDING', 'CREATED'],
  ['PENDING', 'CANCELLED'],
  ['CREATED', 'ACCEPTED'],
  ['CREATED', 'CANCELLED'],
  ['ACCEPTED', 'CREATED'],
  ['ACCEPTED', 'PLACED'],
  ['PLACED', 'ON_THE_WAY'],
  ['ON_THE_WAY', 'DELIVERED'],
  ['DELIVERED', 'COMPLETED'],
];

describe('order state machine', () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));
  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.some(([f, t]) => f === from && t === to));
  });

  it('has final states COMPLETED and CANCELLED', () => {
    for (const to of ORDER_STATUSES) {
      expect(canTransition('COMPLETED', to)).toBe(false);
      expect(canTransition('CANCELLED', to)).toBe(false);
    }
  });

  it('lets a runner move one step at a time, and only from ACCEPTED to DELIVERED', () => {
    expect(ORDER_STATUSES.map((s) => nextProgress(s))).toEqual([null, null, 'PLACED', 'ON_THE_WAY', 'DELIVERED', null, null, null]);
    for (const s of ORDER_STATUSES) {
      const next = nextProgress(s);
      if (next) expect(canTransition(s, next)).toBe(true);
    }
  });

  it('lets sagas ask only for CREATED after PENDING and COMPLETED after DELIVERED', () => {
    expect(SAGA_STATUS_UPDATES).toEqual([
      ['PENDING', 'CREATED'],
      ['DELIVERED', 'COMPLETED'],
    ]);
    for (const [from, to] of SAGA_STATUS_UPDATES) expect(canTransition(from, to)).toBe(true);
    expect(isSagaStatusUpdate('PENDING', 'CREATED')).toBe(true);
    expect(isSagaStatusUpdate('CREATED', 'ACCEPTED')).toBe(false);
    expect(CANCELLABLE).toEqual(['PENDING', 'CREATED']);
  });
});

describe('who may see an order', () => {
  const customer = { id: 'c', roles: ['customer'] };
  const runner = { id: 'r', roles: ['customer', 'runner'] };
  const other = { id: 'x', roles: ['customer', 'runner'] };
  it('its customer and its runner always; other runners only while it is open', () => {
    for (const status of ORDER_STATUSES) {
      const order = {
        customerId: 'c',
        runnerId: status === 'CREATED' || status === 'PENDING' || status === 'CANCELLED' ? null : 'r',
        status,
      };
      expect(canView(order, customer)).toBe(true);
      if (order.runnerId) expect(canView(order, runner)).toBe(true);
      expect(canView(order, other)).toBe(status === 'CREATED');
      expect(canView(order, { id: 'y', roles: ['customer'] })).toBe(false);
    }
  });
});
