/**
 * The load generator: an open-loop stream of real user journeys against a running CampusG over
 * HTTP. Journeys start at a fixed rate whether or not earlier ones have finished, and mix the ways
 * an order can go: full deliveries, declined cards, customer cancels, acceptance timeouts, and
 * several runners racing for one order.
 */
export interface LoadOptions {
  url: string;
  /** Journeys started per second. */
  rate: number;
  durationS: number;
  /** How long to wait for journeys still running when the time is up. */
  drainS?: number;
  /** Where the server's acceptance window is short enough for timeouts to happen in the run. */
  withTimeouts?: boolean;
}

export type Journey = 'delivered' | 'declined' | 'cancelled' | 'timed-out' | 'raced';

export interface LoadReport {
  offered: number;
  startedPerSecond: number;
  finished: Record<Journey, number>;
  failures: { journey: Journey; error: string }[];
  seconds: number;
  latencyMs: { p50: number; p95: number; p99: number };
}

interface Actor {
  token: string;
  id: string;
}

const ORDER = {
  store: { name: 'Koufu', location: 'SMU Connexion L1' },
  items: [{ name: 'Chicken rice', quantity: 1, priceCents: 450 }],
  deliveryFeeCents: 200,
  deliveryLocation: { building: 'SCIS 1', room: 'GSR 2-4' },
};

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${o.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const user = async (name: string, card?: string, runner = false): Promise<Actor> => {
    const reg = await api('POST', '/api/auth/register', undefined, {
      email: `load.${tag}.${name}@campusg.test`,
      password: 'load-test-password',
      name,
    });
    if (reg.status !== 201) throw new Error(`register ${name}: ${reg.status}`);
    const a = { token: reg.body.token as string, id: reg.body.user.id as string };
    if (card) await api('PUT', '/api/me/card', a.token, { number: card, expMonth: 12, expYear: 2099, cvc: '123' });
    if (runner) await api('POST', '/api/me/runner', a.token);
    return a;
  };
  const customers = await Promise.all(Array.from({ length: 8 }, (_, i) => user(`customer${i}`, '4242424242424242')));
  const decliners = await Promise.all(
    Array.from({ length: 2 }, (_, i) => user(`decliner${i}`, i ? '4000000000009995' : '4000000000000002')),
  );
  const runners = await Promise.all(Array.from({ length: 6 }, (_, i) => user(`runner${i}`, undefined, true)));
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;

  // Clients poll with backoff, as the web app does when it has no stream open.
  const poll = async <T>(check: () => Promise<T | undefined>): Promise<T> => {
    for (let pause = 25; ; pause = Math.min(pause * 1.6, 500)) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, pause));
    }
  };
  const sagaEnd = (token: string, sagaId: string) =>
    poll(async () => {
      const s = await api('GET', `/api/sagas/${sagaId}`, token);
      return s.status === 200 && !['RUNNING', 'COMPENSATING'].includes(s.body.status) ? (s.body.status as string) : undefined;
    });
  const orderIn = (token: string, id: string, want: string[]) =>
    poll(async () => {
      const r = await api('GET', `/api/orders/${id}`, token);
      return r.status === 200 && want.includes(r.body.status) ? (r.body.status as string) : undefined;
    });
  const create = async (c: Actor) => {
    const res = await api('POST', '/api/orders', c.token, ORDER);
    if (res.status !== 202) throw new Error(`create: ${res.status}`);
    const status = await sagaEnd(c.token, res.body.sagaId);
    return { orderId: res.body.orderId as string, status };
  };
  const deliver = async (r: Actor, orderId: string) => {
    for (const status of ['PLACED', 'ON_THE_WAY', 'DELIVERED']) {
      const p = await api('POST', `/api/orders/${orderId}/progress`, r.token, { status });
      if (p.status !== 200) throw new Error(`progress ${status}: ${p.status}`);
    }
    const done = await api('POST', `/api/orders/${orderId}/complete`, r.token);
    if (done.status !== 202 || (await sagaEnd(r.token, done.body.sagaId)) !== 'COMPLETED') throw new Error('complete did not complete');
  };
  const journeys: Record<Journey, () => Promise<void>> = {
    async delivered() {
      const c = pick(customers);
      const { orderId, status } = await create(c);
      if (status !== 'COMPLETED') throw new Error(`create ended ${status}`);
      const r = pick(runners);
      const a = await api('POST', `/api/orders/${orderId}/accept`, r.token);
      if (a.status !== 202) throw new Error(`accept answered ${a.status} ${a.body?.code ?? ''}`);
      const end = await sagaEnd(r.token, a.body.sagaId);
      if (end !== 'COMPLETED') throw new Error(`accept saga ended ${end} without a race`);
      await deliver(r, orderId);
    },
    async declined() {
      const c = pick(decliners);
      const { orderId, status } = await create(c);
      if (status !== 'COMPENSATED') throw new Error(`declined card ended ${status}`);
      await orderIn(c.token, orderId, ['CANCELLED']);
    },
    async cancelled() {
      const c = pick(customers);
      const { orderId } = await create(c);
      const res = await api('POST', `/api/orders/${orderId}/cancel`, c.token);
      if (res.status !== 202) throw new Error(`cancel answered ${res.status} ${res.body?.code ?? ''}`);
      const end = await sagaEnd(c.token, res.body.sagaId);
      if (end !== 'COMPLETED') throw new Error(`cancel saga ended ${end}`);
    },
    async 'timed-out'() {
      const c = pick(customers);
      const { orderId } = await create(c);
      await orderIn(c.token, orderId, ['CANCELLED']);
    },
    async raced() {
      const c = pick(customers);
      const { orderId } = await create(c);
      const contenders = [...runners].sort(() => Math.random() - 0.5).slice(0, 3);
      const starts = await Promise.all(contenders.map((r) => api('POST', `/api/orders/${orderId}/accept`, r.token)));
      const ends = await Promise.all(starts.map((s, i) => (s.status === 202 ? sagaEnd(contenders[i]!.token, s.body.sagaId) : 'REFUSED')));
      const winners = contenders.filter((_, i) => ends[i] === 'COMPLETED');
      if (winners.length !== 1)
        throw new Error(`${winners.length} runners won one order (${starts.map((x) => x.status).join(',')} → ${ends.join(',')})`);
      await deliver(winners[0]!, orderId);
    },
  };
  const mix: [Journey, number][] = o.withTimeouts
    ? [
        ['delivered', 0.45],
        ['declined', 0.15],
        ['cancelled', 0.15],
        ['timed-out', 0.1],
        ['raced', 0.15],
      ]
    : [
        ['delivered', 0.5],
        ['declined', 0.15],
        ['cancelled', 0.2],
        ['raced', 0.15],
      ];
  const choose = (): Journey => {
    let x = Math.random();
    for (const [j, p] of mix) {
      x -= p;
      if (x < 0) return j;
    }
    return 'delivered';
  };

  const finished = { delivered: 0, declined: 0, cancelled: 0, 'timed-out': 0, raced: 0 };
  const failures: LoadReport['failures'] = [];
  const latencies: number[] = [];
  const running: Promise<void>[] = [];
  const startedAt = performance.now();
  const total = Math.round(o.rate * o.durationS);
  for (let i = 0; i < total; i++) {
    const due = startedAt + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const journey = choose();
    const t0 = performance.now();
    running.push(
      journeys[journey]().then(
        () => {
          finished[journey]++;
          latencies.push(performance.now() - t0);
        },
        (err: Error) => void failures.push({ journey, error: err.message }),
      ),
    );
  }
  const offeredSeconds = (performance.now() - startedAt) / 1000;
  const drain = new Promise<void>((r) => setTimeout(r, (o.drainS ?? 60) * 1000).unref());
  await Promise.race([Promise.all(running), drain]);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);
  return {
    offered: total,
    startedPerSecond: Math.round((total / offeredSeconds) * 10) / 10,
    finished,
    failures,
    seconds: Math.round((performance.now() - startedAt) / 100) / 10,
    latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
  };
}
