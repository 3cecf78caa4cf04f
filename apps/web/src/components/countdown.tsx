import { useEffect, useState } from 'react';

/** "12:05" (minutes and seconds) or "1:02:05" for what is left of `ms`, never negative. */
export function timeLeft(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The current time, moving on every second while mounted. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);
  return now;
}

/**
 * What is left of an order's acceptance window, ticking live: a runner must accept before
 * `until` (the order's `acceptBy`), or the order is cancelled and the hold released.
 */
export function Countdown({ until, label = 'Time left to accept' }: { until: string; label?: string }) {
  const left = Date.parse(until) - useNow();
  const urgent = left < 60_000;
  return (
    <p className={urgent ? 'countdown countdown--urgent' : 'countdown'}>
      <span className="countdown__label">{label}</span>{' '}
      <time className="countdown__time" dateTime={until} aria-live="off">
        {left > 0 ? timeLeft(left) : 'time is up'}
      </time>
    </p>
  );
}
