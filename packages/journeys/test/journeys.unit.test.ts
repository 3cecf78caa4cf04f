import { createOrderBody } from '@campusg/contracts';
import { describe, expect, it } from 'vitest';
import { sampleOrderBody } from '../src/sample-order.ts';
import { startOnSchedule } from '../src/schedule.ts';

describe('the sample order', () => {
  it('is a valid POST /api/orders body, fresh on every call', () => {
    const a = sampleOrderBody();
    expect(createOrderBody.parse(a)).toEqual(a);
    a.items[0]!.quantity = 99;
    expect(sampleOrderBody().items[0]!.quantity).toBe(2);
  });

  it('takes overrides of whole fields', () => {
    const b = sampleOrderBody({ deliveryFeeCents: 400, instructions: null });
    expect(b).toMatchObject({ deliveryFeeCents: 400, instructions: null, store: { name: 'Koufu' } });
  });
});

describe('startOnSchedule', () => {
  it('starts each task at its due time, in order, without waiting for the ones before', async () => {
    const started: number[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const t0 = performance.now();
    const tasks = await startOnSchedule({ count: 4, intervalMs: 20 }, async (i, due) => {
      started.push(i);
      expect(due).toBeCloseTo(t0 + i * 20, -1);
      // No task ends before every one has started: the schedule does not wait for them.
      await gate;
      return i;
    });
    expect(started).toEqual([0, 1, 2, 3]);
    expect(performance.now() - t0).toBeGreaterThan(50);
    release();
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3]);
  });
});
