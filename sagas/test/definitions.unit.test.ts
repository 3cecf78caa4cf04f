import { GROUP_TOPICS, GROUPS, type MessageType } from '@campusg/contracts';
import type { SagaDefinition } from '@campusg/saga';
import { describe, expect, it } from 'vitest';
import { acceptOrderSaga } from '../src/accept-order.ts';
import { cancelOrderSaga } from '../src/cancel-order.ts';
import { completeOrderSaga } from '../src/complete-order.ts';
import { acceptData, cancelData, completeData, createData, createOrder, ORDER, RUNNER, Run, replyTo, T0 } from './harness.ts';

// What each definition declares for the engine to derive: its group and topics, the key of its
// instances, its business key, and every reply its compensations may get.

const CASES = [
  {
    def: createOrder,
    data: createData(),
    group: GROUPS.createOrderSaga,
    businessKey: `create-order:${ORDER}`,
    exclusive: true,
  },
  {
    def: acceptOrderSaga,
    data: acceptData(),
    group: GROUPS.acceptOrderSaga,
    businessKey: `accept-order:${ORDER}:${RUNNER}`,
    exclusive: false,
  },
  {
    def: cancelOrderSaga,
    data: cancelData('ACCEPT_TIMEOUT'),
    group: GROUPS.cancelOrderSaga,
    businessKey: `cancel-order:${ORDER}`,
    exclusive: false,
  },
  {
    def: completeOrderSaga,
    data: completeData(),
    group: GROUPS.completeOrderSaga,
    businessKey: `complete-order:${ORDER}`,
    exclusive: true,
  },
] as { def: SagaDefinition<unknown>; data: unknown; group: string; businessKey: string; exclusive: boolean }[];

describe.each(CASES)('$def.type declares', ({ def, data, group, businessKey, exclusive }) => {
  it('its group and the topics the contract gives that group', () => {
    expect(def.group).toBe(group);
    expect(def.topics).toEqual(GROUP_TOPICS[group as keyof typeof GROUP_TOPICS]);
  });

  it('its instances keyed by their order, one per business key as sagas.md says', () => {
    expect(def.key(data)).toBe(ORDER);
    expect(def.businessKey(data)).toBe(businessKey);
    expect(def.exclusive).toBe(exclusive);
  });

  it('every reply its compensations may get (success or failure), beyond the steps’ own replies', () => {
    const heard = new Set<MessageType>([...def.steps.flatMap((s) => Object.keys(s.replies) as MessageType[]), ...def.compensationReplies]);
    for (const step of def.steps) {
      if (!step.compensation) continue;
      const command = step.compensation(data);
      for (const ok of [true, false]) expect(heard, `${def.type}: ${command.type}`).toContain(replyTo(command, ok).type);
    }
  });
});

describe('the definitions together', () => {
  it('each has its own type and group', () => {
    expect(new Set(CASES.map((c) => c.def.type)).size).toBe(CASES.length);
    expect(new Set(CASES.map((c) => c.def.group)).size).toBe(CASES.length);
  });

  it('a customer cancel and an expired timer share one business key per order', () => {
    expect(cancelOrderSaga.businessKey(cancelData('CUSTOMER_CANCELLED'))).toBe(cancelOrderSaga.businessKey(cancelData('ACCEPT_TIMEOUT')));
  });

  it('accept-order keys its business key by runner too: two runners may race for one order', () => {
    expect(acceptOrderSaga.businessKey(acceptData({ runnerId: 'r2' }))).not.toBe(acceptOrderSaga.businessKey(acceptData()));
  });

  it('every definition sends only schema-valid commands and starts at T0', () => {
    // (The harness validates each command's payload; this only checks that each saga starts.)
    for (const { def, data } of CASES) {
      const run = new Run(def, data);
      run.start();
      expect(run.last.commands).toHaveLength(1);
      expect(run.state.startedAt).toBe(T0.toISOString());
      expect(run.state.key).toBe(ORDER);
    }
  });
});
