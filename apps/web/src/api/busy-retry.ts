import { isApiError } from './http.ts';

export interface BusyRetryOptions {
  /** Attempts in all, the first included (default 6: about half a minute of trying). */
  attempts?: number;
  /** The first backoff; each next one doubles (default 1 s). */
  baseMs?: number;
  /** The longest backoff (default 16 s); a longer `Retry-After` still wins. */
  maxMs?: number;
  /** Stops waiting and trying (the page was left). */
  signal?: AbortSignal;
  /** Told before each wait: which attempt failed busy, and how long until the next. */
  onBusy?: (busy: { failures: number; waitMs: number }) => void;
  /** Injected for tests: a source of jitter in [0, 1), and the wait itself. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * The wait before trying again after the `failures`-th busy answer: never less than the server's
 * `Retry-After`, otherwise an exponential backoff (`baseMs` × 2^(failures − 1), at most `maxMs`),
 * and up to half again at random, so that clients turned away together do not all come back at once.
 */
export function busyDelayMs(failures: number, retryAfterS: number | null, random: () => number, baseMs = 1000, maxMs = 16_000): number {
  const backoff = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  const floor = Math.max(backoff, (retryAfterS ?? 0) * 1000);
  return Math.round(floor * (1 + 0.5 * random()));
}

/**
 * Runs `attempt` and, while it fails with 503 `OVERLOADED` (the platform is busy and created
 * nothing), waits as `busyDelayMs` says and runs it again, at most `attempts` times in all. Any
 * other failure, the last busy one, or an abort is thrown as it is.
 */
export async function retryWhileBusy<T>(attempt: () => Promise<T>, options: BusyRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? wait;
  let failures = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      failures++;
      if (!isApiError(error, 'OVERLOADED') || failures >= attempts) throw error;
      const waitMs = busyDelayMs(failures, error.retryAfterS, random, options.baseMs, options.maxMs);
      options.onBusy?.({ failures, waitMs });
      await sleep(waitMs, options.signal);
    }
  }
}

/** A timer that an abort cuts short, rejecting with the signal's reason. */
function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
