import { ORDER_STATUSES, type OrderStatus } from '@campusg/contracts';
import { describe, expect, it } from 'vitest';
import {
  ACTIVE_RUNNER_STATUSES,
  isCancellable,
  mayAccept,
  mayCancel,
  mayComplete,
  mayProgress,
  mayRate,
  mayRelease,
  maySeeAvailable,
  nextRunnerMove,
} from '../src/index.ts';

const customer = { id: 'c', roles: ['customer'] };
const runner = { id: 'r', roles: ['customer', 'runner'] };
const otherRunner = { id: 'x', roles: ['customer', 'runner'] };
const order = (status: OrderStatus, runnerId: string | null = 'r') => ({ customerId: 'c', runnerId, status });

describe('accepting', () => {
  it('is for runners only, on an open order that is not their own', () => {
    expect(mayAccept(order('CREATED', null), customer)).toEqual({ code: 'FORBIDDEN', message: 'only runners accept orders' });
    expect(mayAccept(order('CREATED', null), otherRunner)).toBeNull();
    expect(mayAccept(order('CREATED', null), { id: 'c', roles: ['runner'] })?.code).toBe('FORBIDDEN');
    expect(mayAccept(undefined, otherRunner)?.code).toBe('NOT_FOUND');
    for (const hidden of ['PENDING', 'CANCELLED'] as const) expect(mayAccept(order(hidden, null), otherRunner)?.code).toBe('NOT_FOUND');
    expect(mayAccept(order('ACCEPTED'), otherRunner)).toEqual({ code: 'ORDER_NOT_AVAILABLE', message: 'the order is ACCEPTED' });
  });

  it('shows the open orders to runners only', () => {
    expect(maySeeAvailable(runner)).toBeNull();
    expect(maySeeAvailable(customer)?.code).toBe('FORBIDDEN');
  });
});

describe('completing', () => {
  it('is for the assigned runner, once the order is delivered', () => {
    expect(mayComplete(order('DELIVERED'), runner)).toBeNull();
    expect(mayComplete(order('DELIVERED'), otherRunner)?.code).toBe('NOT_FOUND');
    expect(mayComplete(order('ON_THE_WAY'), runner)).toEqual({
      code: 'INVALID_TRANSITION',
      message: 'an order that is ON_THE_WAY cannot be completed',
    });
  });
});

describe('cancelling', () => {
  it('is for the customer, until a runner accepts', () => {
    for (const status of ORDER_STATUSES) {
      expect(mayCancel(order(status), customer)?.code ?? null).toBe(isCancellable(status) ? null : 'ORDER_NOT_CANCELLABLE');
      expect(mayCancel(order(status), runner)?.code).toBe('NOT_FOUND');
    }
    expect(ORDER_STATUSES.filter(isCancellable)).toEqual(['PENDING', 'CREATED']);
  });
});

describe('progress', () => {
  it('moves the assigned runner one step at a time', () => {
    expect(mayProgress(order('ACCEPTED'), runner, 'PLACED')).toBeNull();
    expect(mayProgress(order('ACCEPTED'), runner, 'DELIVERED')).toEqual({
      code: 'INVALID_TRANSITION',
      message: 'an order that is ACCEPTED cannot move to DELIVERED',
    });
    expect(mayProgress(order('ACCEPTED'), otherRunner, 'PLACED')?.code).toBe('NOT_FOUND');
  });

  it("gives the runner's next move on each order in their hands, and none on the others", () => {
    expect(ACTIVE_RUNNER_STATUSES.map(nextRunnerMove)).toEqual([
      { progress: 'PLACED' },
      { progress: 'ON_THE_WAY' },
      { progress: 'DELIVERED' },
      { complete: true },
    ]);
    for (const status of ORDER_STATUSES.filter((s) => !(ACTIVE_RUNNER_STATUSES as readonly string[]).includes(s))) {
      expect(nextRunnerMove(status)).toBeNull();
    }
  });
});

describe('giving an order back', () => {
  it('is for the assigned runner while the order is ACCEPTED', () => {
    expect(mayRelease(order('ACCEPTED'), runner)).toBeNull();
    for (const who of [customer, otherRunner]) expect(mayRelease(order('ACCEPTED'), who)?.code).toBe('NOT_FOUND');
    expect(mayRelease(undefined, runner)?.code).toBe('NOT_FOUND');
    expect(mayRelease(order('CREATED', null), runner)?.code).toBe('NOT_FOUND');
    for (const later of ['PLACED', 'ON_THE_WAY', 'DELIVERED', 'COMPLETED'] as const) {
      expect(mayRelease(order(later), runner)?.code).toBe('INVALID_TRANSITION');
    }
  });
});

describe('rating', () => {
  it('lets the customer rate the runner and the runner the customer, once the order is completed', () => {
    expect(mayRate(order('COMPLETED'), customer)).toEqual({ rateeId: 'r' });
    expect(mayRate(order('COMPLETED'), runner)).toEqual({ rateeId: 'c' });
    expect(mayRate(order('COMPLETED'), otherRunner)).toMatchObject({ code: 'NOT_FOUND' });
    expect(mayRate(undefined, customer)).toMatchObject({ code: 'NOT_FOUND' });
    for (const status of ORDER_STATUSES.filter((s) => s !== 'COMPLETED')) {
      expect(mayRate(order(status), customer)).toMatchObject({ code: 'INVALID_TRANSITION' });
    }
  });
});
