import { runLoad } from '@campusg/journeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants, quiesce } from '../support/invariants.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

// Bounded soak: a steady open-loop rate for a fixed time (longer runs: `campusg load` by hand).
const RATE = Number(process.env.SOAK_RATE ?? 2);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 20);
let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem({ ORDER_ACCEPT_TIMEOUT_MS: '12000' });
});
afterAll(async () => {
  await sys.close();
});

describe('soak', () => {
  it(`holds ${RATE} journeys/s for ${SECONDS} s with declines, cancels, timeouts and races mixed in`, async () => {
    const report = await runLoad({ url: sys.url, rate: RATE, durationS: SECONDS, drainS: 60, withTimeouts: true });
    console.info(`soak: ${JSON.stringify(report)}`);
    expect(report.failures).toEqual([]);
    const done = Object.values(report.finished).reduce((a, b) => a + b, 0);
    expect(done).toBe(report.offered);
    for (const journey of ['delivered', 'declined', 'cancelled', 'timed-out', 'raced'] as const)
      expect(report.finished[journey]).toBeGreaterThan(0);
    await quiesce(sys.infra.db, sys.infra.transport, 60_000);
    expect(await checkInvariants(sys.infra.db)).toEqual([]);
  }, 240_000);
});
