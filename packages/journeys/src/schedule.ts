import { setTimeout as sleep } from 'node:timers/promises';

/** When and how an open-loop schedule starts its tasks. */
export interface ScheduleOptions {
  /** How many tasks to start. */
  count: number;
  /** Milliseconds between two starts. */
  intervalMs: number;
  /** The clock the due times are read on (milliseconds); `performance.now` unless given. */
  now?: () => number;
  /** When task 0 is due, on `now`'s clock; the moment of the call unless given. */
  firstDue?: number;
  /** A wait shorter than this is not slept (the task starts at once). */
  minWaitMs?: number;
}

/**
 * Open loop: task i starts at `firstDue + i × intervalMs` whatever happened to the ones before it,
 * so a slow system does not slow the offered load down (no coordinated omission). Resolves, once
 * the last task has started, with every task's promise, in order; `start` is told the task's due time.
 * A task's promise should settle its own failures: nothing awaits it before the schedule ends.
 */
export async function startOnSchedule<T>(o: ScheduleOptions, start: (i: number, due: number) => Promise<T>): Promise<Promise<T>[]> {
  const now = o.now ?? (() => performance.now());
  const firstDue = o.firstDue ?? now();
  const minWait = o.minWaitMs ?? 0;
  const started: Promise<T>[] = [];
  for (let i = 0; i < o.count; i++) {
    const due = firstDue + i * o.intervalMs;
    const wait = due - now();
    if (wait > minWait) await sleep(wait);
    started.push(start(i, due));
  }
  return started;
}
