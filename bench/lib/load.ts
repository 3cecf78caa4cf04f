import { setTimeout as sleep } from 'node:timers/promises';
import { acceptOrder, deliverOrder, type JourneyClient, type SagaEnd, sampleOrderBody, startOnSchedule } from '@campusg/journeys';
import { Http } from './http.ts';
import type { PlatformChild } from './platform.ts';
import { nowMs, round, type Summary, summarize } from './stats.ts';

export interface User {
  token: string;
  id: string;
}

/** The API of one deployment: one or more instances behind round-robin, and the observer. */
export class Target {
  readonly clients: Http[];
  #rr = 0;
  constructor(
    urls: string[],
    readonly observer: PlatformChild,
  ) {
    this.clients = urls.map((u) => new Http(u));
  }
  get http(): Http {
    const c = this.clients[this.#rr++ % this.clients.length]!;
    return c;
  }
  /** The journeys' view of the deployment: each request to the next instance in turn. */
  get client(): JourneyClient {
    return { request: (method, path, body, token) => this.http.request(method, path, body, token) };
  }
  close() {
    for (const c of this.clients) c.close();
  }
}

interface Window {
  concurrency: number;
  warmupS: number;
  measureS: number;
}

/**
 * A closed loop: `concurrency` workers, each running `one(worker)` again as soon as it ends.
 * `one` resolves with the latency of what it measured, or `null` for a failure that needs no pause;
 * a throw is a failure too, reported to `onError`, after which the worker pauses 100 ms. Only what
 * ends inside the measured window (after the warm-up) counts.
 */
async function closedLoop(
  o: Window,
  one: (worker: number) => Promise<number | null>,
  onError: (err: unknown, errors: number) => void = () => {},
): Promise<{ seconds: number; completed: number; latencies: number[]; errors: number }> {
  let stop = false;
  let measuring = false;
  let completed = 0;
  let errors = 0;
  const latencies: number[] = [];
  const worker = async (w: number) => {
    while (!stop) {
      try {
        const ms = await one(w);
        if (ms === null) errors++;
        else if (measuring && !stop) {
          completed++;
          latencies.push(ms);
        }
      } catch (err) {
        errors++;
        onError(err, errors);
        await sleep(100);
      }
    }
  };
  const workers = Array.from({ length: o.concurrency }, (_, w) => worker(w));
  await sleep(o.warmupS * 1000);
  measuring = true;
  const start = nowMs();
  await sleep(o.measureS * 1000);
  stop = true;
  const seconds = (nowMs() - start) / 1000;
  const done = completed;
  await Promise.all(workers);
  return { seconds, completed: done, latencies, errors };
}

let seq = 0;

/** Registers users once (with a card; runners also become runners), a few at a time. */
export async function registerUsers(t: Target, n: number, runner = false): Promise<User[]> {
  const users: User[] = [];
  const tag = `${process.pid}${Date.now()}`;
  const one = async () => {
    const i = ++seq;
    const http = t.clients[0]!;
    const res = await http.expect<{ token: string; user: { id: string } }>(201, 'POST', '/api/auth/register', {
      email: `bench.${runner ? 'runner' : 'customer'}.${tag}.${i}@smu.edu.sg`,
      password: 'correct horse battery',
      name: `${runner ? 'Runner' : 'Customer'} ${i}`,
    });
    await http.expect(200, 'PUT', '/api/me/card', { number: '4242424242424242', expMonth: 12, expYear: 2031, cvc: '123' }, res.token);
    if (runner) await http.expect(200, 'POST', '/api/me/runner', undefined, res.token);
    users.push({ token: res.token, id: res.user.id });
  };
  for (let i = 0; i < n; i += 8) await Promise.all(Array.from({ length: Math.min(8, n - i) }, one));
  return users;
}

export async function postOrder(t: Target, user: User): Promise<{ orderId: string; sagaId: string }> {
  return t.http.expect(202, 'POST', '/api/orders', sampleOrderBody(), user.token);
}

/** A posted order: admitted (202), refused by admission control (503 `OVERLOADED`), or failed otherwise (thrown). */
async function offerOrder(t: Target, user: User): Promise<{ orderId: string; sagaId: string } | 'shed'> {
  const res = await t.http.request<{ orderId: string; sagaId: string; code?: string }>(
    'POST',
    '/api/orders',
    sampleOrderBody(),
    user.token,
  );
  if (res.status === 202) return res.body;
  if (res.status === 503 && res.body?.code === 'OVERLOADED') return 'shed';
  throw new Error(`POST /api/orders: ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`);
}

export interface OpenLoopResult {
  offeredPerSecond: number;
  seconds: number;
  sent: number;
  /** Orders sent in all, the warm-up's included (all of them are drained before the result). */
  allSent: number;
  /** Admitted orders that did not turn CREATED within the drain time. */
  incomplete: number;
  /** Of those, the ones whose saga ended otherwise (compensated, failed): accepted with a 202, then undone. */
  undone: number;
  /** Measured orders refused at once by admission control (503 `OVERLOADED`): never started, so never incomplete. */
  shed: number;
  /** Intended send time → the 503 `OVERLOADED` received. */
  shedLatencyMs: Summary;
  /** Measured orders seen CREATED within `createdWithinMs` of their intended send time. */
  createdWithin: number;
  createdWithinMs: number;
  achievedPerSecond: number;
  /** Intended send time → order CREATED seen on the bus (the figure asked for). */
  createdLatencyMs: Summary;
  /** Intended send time → create-order saga completed (the timer armed too). */
  sagaLatencyMs: Summary;
  /** Intended send time → 202 received. */
  postLatencyMs: Summary;
  /** Requests that failed otherwise: no answer (connection refused, reset) or an unexpected status. */
  errors: number;
}

/**
 * Latency at a fixed offered rate, open loop: order i is due at start + i/rate whatever happened to
 * the ones before it (no coordinated omission: latency counts from the intended send time).
 */
export async function openLoop(
  t: Target,
  users: User[],
  o: { rate: number; warmupS: number; measureS: number; drainS?: number; createdWithinMs?: number },
): Promise<OpenLoopResult> {
  const within = o.createdWithinMs ?? 1000;
  const total = Math.round((o.warmupS + o.measureS) * o.rate);
  const firstMeasured = Math.round(o.warmupS * o.rate);
  const orders: { due: number; posted?: number; orderId?: string; sagaId?: string; shedAt?: number }[] = [];
  let errors = 0;
  const start = nowMs() + 50;
  const created = new Map<string, number>();
  const sagas = new Map<string, [number, string]>();
  const listener = (e: [string, string, number, string]) => {
    if (e[0] === 'c') created.set(e[1], e[2]);
    else sagas.set(e[1], [e[2], e[3]]);
  };
  t.observer.listeners.push(listener);
  try {
    const posts = await startOnSchedule(
      { count: total, intervalMs: 1000 / o.rate, now: nowMs, firstDue: start, minWaitMs: 1 },
      (i, due) => {
        const rec: (typeof orders)[number] = { due };
        orders.push(rec);
        return offerOrder(t, users[i % users.length]!)
          .then((r) => {
            if (r === 'shed') {
              rec.shedAt = nowMs();
              return;
            }
            rec.posted = nowMs();
            rec.orderId = r.orderId;
            rec.sagaId = r.sagaId;
          })
          .catch(() => {
            errors++;
          });
      },
    );
    const sendEnd = nowMs();
    await Promise.all(posts);
    const measured = orders.slice(firstMeasured);
    const drainUntil = nowMs() + (o.drainS ?? 30) * 1000;
    // The warm-up's orders too: what is left of them would be charged to whatever runs next.
    const pending = () => orders.filter((r) => r.sagaId && !sagas.has(r.sagaId)).length;
    while (pending() > 0 && nowMs() < drainUntil) await sleep(50);
    const createdLat: number[] = [];
    const sagaLat: number[] = [];
    const postLat: number[] = [];
    const shedLat: number[] = [];
    let incomplete = 0;
    let completed = 0;
    let undone = 0;
    let createdWithin = 0;
    let lastDone = 0;
    for (const r of measured) {
      if (r.shedAt !== undefined) {
        shedLat.push(r.shedAt - r.due);
        continue;
      }
      if (r.posted) postLat.push(r.posted - r.due);
      const c = r.orderId ? created.get(r.orderId) : undefined;
      const s = r.sagaId ? sagas.get(r.sagaId) : undefined;
      if (c === undefined || s === undefined) {
        incomplete++;
        if (s && !s[1].endsWith(':completed')) undone++;
        continue;
      }
      completed++;
      createdLat.push(c - r.due);
      if (c - r.due <= within) createdWithin++;
      sagaLat.push(s[0] - r.due);
      lastDone = Math.max(lastDone, s[0]);
    }
    const firstDue = measured[0]?.due ?? start;
    return {
      offeredPerSecond: round(o.rate),
      seconds: round((sendEnd - firstDue) / 1000),
      sent: measured.length,
      allSent: orders.length,
      incomplete,
      undone,
      shed: shedLat.length,
      shedLatencyMs: summarize(shedLat),
      createdWithin,
      createdWithinMs: within,
      achievedPerSecond: round((completed / (Math.max(lastDone, sendEnd) - firstDue)) * 1000),
      createdLatencyMs: summarize(createdLat),
      sagaLatencyMs: summarize(sagaLat),
      postLatencyMs: summarize(postLat),
      errors,
    };
  } finally {
    t.observer.listeners = t.observer.listeners.filter((l) => l !== listener);
  }
}

export interface LifecycleResult {
  concurrency: number;
  seconds: number;
  completed: number;
  lifecyclesPerSecond: number;
  /** One whole lifecycle, create to the complete-order saga's end. */
  lifecycleMs: Summary;
  errors: number;
  invariantViolations: number | null;
  violationsSample: string[];
}

/**
 * The whole lifecycle in a closed loop: a customer posts, a runner accepts once it is CREATED,
 * moves it PLACED → ON_THE_WAY → DELIVERED, and completes it; the next order starts when the
 * complete-order saga has ended.
 */
export async function lifecycle(
  t: Target,
  customers: User[],
  runners: User[],
  o: Window,
): Promise<Omit<LifecycleResult, 'invariantViolations' | 'violationsSample'>> {
  const one = async (customer: User, runner: User) => {
    const t0 = nowMs();
    let endedAt = t0;
    // Sagas end as the observer sees them on the bus; the last one to end is the complete-order saga.
    const sagaEnd: SagaEnd = async (_token, sagaId) => {
      const end = await t.observer.waitFor(sagaId, 120_000);
      endedAt = end.t;
      return end.detail.endsWith(':completed') ? 'COMPLETED' : end.detail;
    };
    const { orderId } = await postOrder(t, customer);
    await t.observer.waitFor(orderId, 120_000);
    const accepted = await acceptOrder(t.client, sagaEnd, runner.token, orderId);
    if (accepted !== 'COMPLETED') throw new Error(`accept ${accepted}`);
    await deliverOrder(t.client, sagaEnd, runner.token, orderId);
    return endedAt - t0;
  };
  const { seconds, completed, latencies, errors } = await closedLoop(
    o,
    (w) => one(customers[w % customers.length]!, runners[w % runners.length]!),
    (err, n) => {
      if (n < 5) process.stderr.write(`lifecycle: ${(err as Error).message}\n`);
    },
  );
  return {
    concurrency: o.concurrency,
    seconds: round(seconds),
    completed,
    lifecyclesPerSecond: round(completed / seconds, 2),
    lifecycleMs: summarize(latencies),
    errors,
  };
}
