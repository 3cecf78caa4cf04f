import { SANDBOX_CARDS, sampleOrderBody } from './sample-order.ts';
import { acceptOrder, deliverOrder, type JourneyClient, poll, type SagaEnd } from './steps.ts';

/** The ways an order can go that the load generator mixes. */
export type Journey = 'delivered' | 'declined' | 'cancelled' | 'timed-out' | 'raced';

interface Actor {
  token: string;
  id: string;
}

/** The people of one load run: customers with a good card, customers whose card declines, runners. */
export interface Cast {
  customers: Actor[];
  decliners: Actor[];
  runners: Actor[];
}

/** Registers the cast of a load run under a tag of its own (8 customers, 2 decliners, 6 runners). */
export async function registerCast(api: JourneyClient): Promise<Cast> {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const user = async (name: string, card?: string, runner = false): Promise<Actor> => {
    const reg = await api.request('POST', '/api/auth/register', {
      email: `load.${tag}.${name}@campusg.test`,
      password: 'load-test-password',
      name,
    });
    if (reg.status !== 201) throw new Error(`register ${name}: ${reg.status}`);
    const a = { token: reg.body.token as string, id: reg.body.user.id as string };
    if (card) await api.request('PUT', '/api/me/card', { number: card, expMonth: 12, expYear: 2099, cvc: '123' }, a.token);
    if (runner) await api.request('POST', '/api/me/runner', undefined, a.token);
    return a;
  };
  const customers = await Promise.all(Array.from({ length: 8 }, (_, i) => user(`customer${i}`, SANDBOX_CARDS.ok)));
  const decliners = await Promise.all(
    Array.from({ length: 2 }, (_, i) => user(`decliner${i}`, i ? SANDBOX_CARDS.insufficientFunds : SANDBOX_CARDS.declined)),
  );
  const runners = await Promise.all(Array.from({ length: 6 }, (_, i) => user(`runner${i}`, undefined, true)));
  return { customers, decliners, runners };
}

/**
 * The five journeys over HTTP, each checking that the order went the way it should; a journey
 * that did not throws. Customers and runners are picked at random from the cast.
 */
export function journeys(api: JourneyClient, sagaEnd: SagaEnd, cast: Cast): Record<Journey, () => Promise<void>> {
  const { customers, decliners, runners } = cast;
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  const orderIn = (token: string, id: string, want: string[]) =>
    poll(async () => {
      const r = await api.request('GET', `/api/orders/${id}`, undefined, token);
      return r.status === 200 && want.includes(r.body.status) ? (r.body.status as string) : undefined;
    });
  const create = async (c: Actor) => {
    const res = await api.request('POST', '/api/orders', sampleOrderBody(), c.token);
    if (res.status !== 202) throw new Error(`create: ${res.status}`);
    const status = await sagaEnd(c.token, res.body.sagaId);
    return { orderId: res.body.orderId as string, status };
  };
  return {
    async delivered() {
      const c = pick(customers);
      const { orderId, status } = await create(c);
      if (status !== 'COMPLETED') throw new Error(`create ended ${status}`);
      const r = pick(runners);
      const end = await acceptOrder(api, sagaEnd, r.token, orderId);
      if (end !== 'COMPLETED') throw new Error(`accept saga ended ${end} without a race`);
      await deliverOrder(api, sagaEnd, r.token, orderId);
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
      const res = await api.request('POST', `/api/orders/${orderId}/cancel`, undefined, c.token);
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
      const starts = await Promise.all(contenders.map((r) => api.request('POST', `/api/orders/${orderId}/accept`, undefined, r.token)));
      const ends = await Promise.all(starts.map((s, i) => (s.status === 202 ? sagaEnd(contenders[i]!.token, s.body.sagaId) : 'REFUSED')));
      const winners = contenders.filter((_, i) => ends[i] === 'COMPLETED');
      if (winners.length !== 1)
        throw new Error(`${winners.length} runners won one order (${starts.map((x) => x.status).join(',')} → ${ends.join(',')})`);
      await deliverOrder(api, sagaEnd, winners[0]!.token, orderId);
    },
  };
}
