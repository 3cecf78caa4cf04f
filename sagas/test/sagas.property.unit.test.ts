import { CANCEL_REASONS, type SagaType } from '@campusg/contracts';
import type { SagaCommand } from '@campusg/saga';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeData, createData } from './harness.ts';
import { cancel } from './model-rules.ts';
import { action, drainStep, play, SCENARIOS } from './model-world.ts';

// Model-based: random interleavings of replies (success or failure, to any command sent so far, in
// any order), duplicated deliveries, replies produced again, stray replies, early and late timeouts,
// driven against each saga definition; then the world answers whatever is in hand until the saga ends.
// Invariants are checked on every decision and on every whole history.

describe.each(SCENARIOS)('$name: model-based interleavings', (s) => {
  it('always ends, never emits after the end, compensates in reverse order, honours the saga’s own rules', () => {
    const statuses = new Set<string>();
    fc.assert(
      fc.property(
        s.data,
        fc.integer({ min: 1, max: 4 }),
        fc.array(action, { maxLength: 30 }),
        fc.array(drainStep, { minLength: 1, maxLength: 6 }),
        (data, maxAttempts, actions, drain) => {
          const run = play(s, data, maxAttempts, actions, drain);
          statuses.add(run.state.status);
        },
      ),
      { numRuns: 250 },
    );
    // The generator reaches every way this saga can end.
    const reachable: Record<SagaType, string[]> = {
      'create-order': ['COMPLETED', 'COMPENSATED', 'FAILED'],
      'accept-order': ['COMPLETED', 'COMPENSATED', 'FAILED'],
      'cancel-order': ['COMPLETED', 'COMPENSATED', 'FAILED'],
      'complete-order': ['COMPLETED', 'FAILED'],
      'release-order': ['COMPLETED', 'COMPENSATED', 'FAILED'],
    };
    expect([...statuses].sort()).toEqual(reachable[s.name].sort());
  });
});

describe('regressions found by the model', () => {
  it('complete-order: a failure reply produced again does not re-send update_order_status', () => {
    // Shrunk counterexample of the original engine: the retried step kept the answered id in `awaiting`.
    const s = SCENARIOS.find((x) => x.name === 'complete-order')!;
    const run = play(
      s,
      completeData(),
      2,
      [
        { k: 'current', ok: true, dt: 0 },
        { k: 'current', ok: true, dt: 0 },
        { k: 'current', ok: false, dt: 0 },
        { k: 'again', pick: 2 },
        { k: 'again', pick: 2 },
      ],
      ['ok'],
    );
    expect(run.state.status).toBe('COMPLETED');
  });

  it('create-order: compensation commands are schema-valid with every initial reason', () => {
    for (const cancelReason of CANCEL_REASONS) {
      const s = SCENARIOS[0]!;
      const run = play(
        s,
        createData({ cancelReason }),
        3,
        [
          { k: 'current', ok: true, dt: 0 },
          { k: 'expire', extra: 0 },
        ],
        ['ok'],
      );
      expect(run.state.status).toBe('COMPENSATED');
      expect(run.commands('compensation') as SagaCommand[]).toEqual([cancel('SYSTEM_ERROR')]);
    }
  });
});
