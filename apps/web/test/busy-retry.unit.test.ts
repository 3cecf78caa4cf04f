import { describe, expect, it } from 'vitest';
import { busyDelayMs, retryWhileBusy } from '../src/api/busy-retry.ts';
import { ApiError, retryAfterSeconds } from '../src/api/http.ts';

/** The web app's answer to 503 OVERLOADED on placing an order: wait as asked, back off, try again. */

const busy = (retryAfterS: number | null = 1) =>
  new ApiError(503, { status: 503, code: 'OVERLOADED', title: 'Service busy', detail: 'busy' }, retryAfterS);

/** An attempt that fails with each of `failures` in turn, then answers `value`; and the waits asked for. */
function scripted<T>(failures: Error[], value: T) {
  let calls = 0;
  const waits: number[] = [];
  return {
    attempt: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return value;
    },
    sleep: async (ms: number) => void waits.push(ms),
    waits,
    calls: () => calls,
  };
}

describe('the wait after a busy answer', () => {
  it('is never shorter than Retry-After, and backs off exponentially when that is shorter', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6].map((n) => busyDelayMs(n, 1, none))).toEqual([1000, 2000, 4000, 8000, 16_000, 16_000]);
    expect(busyDelayMs(1, 5, none)).toBe(5000);
    expect(busyDelayMs(2, null, none)).toBe(2000);
    // A server asking for longer than the longest backoff is still obeyed.
    expect(busyDelayMs(6, 60, none)).toBe(60_000);
  });

  it('adds up to half again at random, so clients turned away together spread out', () => {
    expect(busyDelayMs(3, 1, () => 0.999)).toBe(Math.round(4000 * 1.4995));
    expect(busyDelayMs(1, 2, () => 0.5)).toBe(2500);
    for (let i = 0; i < 100; i++) {
      const ms = busyDelayMs(2, 1, Math.random);
      expect(ms).toBeGreaterThanOrEqual(2000);
      expect(ms).toBeLessThanOrEqual(3000);
    }
  });
});

describe('placing an order while CampusG is busy', () => {
  it('tries again after each busy answer, honouring Retry-After, and returns the answer that came', async () => {
    const s = scripted([busy(3), busy(1), busy(1)], { orderId: 'o1' });
    const told: { failures: number; waitMs: number }[] = [];
    const out = await retryWhileBusy(s.attempt, { sleep: s.sleep, random: () => 0, onBusy: (b) => told.push(b) });
    expect(out).toEqual({ orderId: 'o1' });
    expect(s.calls()).toBe(4);
    expect(s.waits).toEqual([3000, 2000, 4000]);
    expect(told).toEqual([
      { failures: 1, waitMs: 3000 },
      { failures: 2, waitMs: 2000 },
      { failures: 3, waitMs: 4000 },
    ]);
  });

  it('gives up after the last attempt with the busy error, for the page to show', async () => {
    const s = scripted(
      Array.from({ length: 10 }, () => busy()),
      'never',
    );
    const error = await retryWhileBusy(s.attempt, { attempts: 4, sleep: s.sleep, random: () => 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('OVERLOADED');
    expect(s.calls()).toBe(4);
    expect(s.waits).toHaveLength(3);
  });

  it('does not try again after any other failure', async () => {
    for (const failure of [
      new ApiError(503, { code: 'NOT_READY' }),
      new ApiError(400, { code: 'VALIDATION_FAILED' }),
      new ApiError(401, { code: 'UNAUTHENTICATED' }),
      new ApiError(0, {}),
    ]) {
      const s = scripted([failure], 'never');
      await expect(retryWhileBusy(s.attempt, { sleep: s.sleep })).rejects.toBe(failure);
      expect(s.calls()).toBe(1);
      expect(s.waits).toEqual([]);
    }
  });

  it('stops waiting and trying when the page is left', async () => {
    const leaving = new AbortController();
    let calls = 0;
    const attempt = async () => {
      calls++;
      throw busy();
    };
    const pending = retryWhileBusy(attempt, { signal: leaving.signal, random: () => 0 });
    leaving.abort(new Error('left the page'));
    await expect(pending).rejects.toThrow('left the page');
    expect(calls).toBe(1);
  });
});

describe('Retry-After', () => {
  it('reads seconds, or an HTTP date from now, and nothing else', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    expect(retryAfterSeconds('1', now)).toBe(1);
    expect(retryAfterSeconds(' 120 ', now)).toBe(120);
    expect(retryAfterSeconds('Sun, 06 Dec 2026 10:00:05 GMT', now)).toBe(5);
    expect(retryAfterSeconds('Sun, 06 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds(null, now)).toBeNull();
    expect(retryAfterSeconds('soon', now)).toBeNull();
  });
});
