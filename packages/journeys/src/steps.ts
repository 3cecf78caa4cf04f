import { setTimeout as sleep } from 'node:timers/promises';
import { DELIVERY_STEPS } from './sample-order.ts';

/** An answer as the journeys look at it: the status and the parsed JSON body. */
export interface JourneyResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: journeys read a few fields of many response shapes
  body: any;
}

/** Whatever sends the journeys' requests: `fetchClient` here, the benchmark's keep-alive client there. */
export interface JourneyClient {
  request(method: string, path: string, body?: unknown, token?: string): Promise<JourneyResponse>;
}

/** How a journey learns the status a saga ended in: by polling the API, or from the bus. */
export type SagaEnd = (token: string, sagaId: string) => Promise<string>;

/** A JSON client over fetch: the simplest `JourneyClient`. */
export function fetchClient(baseUrl: string): JourneyClient {
  return {
    async request(method, path, body, token) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** Asks until `check` gives a value, with growing pauses (25 ms to 500 ms), as the web app polls when it has no stream open. */
export async function poll<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (let pause = 25; ; pause = Math.min(pause * 1.6, 500)) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(pause);
  }
}

/** A `SagaEnd` that polls `GET /api/sagas/{id}` until the saga is neither running nor compensating. */
export function pollSagaEnd(api: JourneyClient): SagaEnd {
  return (token, sagaId) =>
    poll(async () => {
      const s = await api.request('GET', `/api/sagas/${sagaId}`, undefined, token);
      return s.status === 200 && !['RUNNING', 'COMPENSATING'].includes(s.body.status) ? (s.body.status as string) : undefined;
    });
}

/** A runner accepts an order: `POST …/accept` must answer 202; resolves with the status the accept-order saga ended in. */
export async function acceptOrder(api: JourneyClient, sagaEnd: SagaEnd, runnerToken: string, orderId: string): Promise<string> {
  const a = await api.request('POST', `/api/orders/${orderId}/accept`, undefined, runnerToken);
  if (a.status !== 202) throw new Error(`accept answered ${a.status} ${a.body?.code ?? ''}`);
  return sagaEnd(runnerToken, a.body.sagaId);
}

/** The runner of an accepted order moves it PLACED → ON_THE_WAY → DELIVERED and completes it (the payout). */
export async function deliverOrder(api: JourneyClient, sagaEnd: SagaEnd, runnerToken: string, orderId: string): Promise<void> {
  for (const status of DELIVERY_STEPS) {
    const p = await api.request('POST', `/api/orders/${orderId}/progress`, { status }, runnerToken);
    if (p.status !== 200) throw new Error(`progress ${status}: ${p.status}`);
  }
  const done = await api.request('POST', `/api/orders/${orderId}/complete`, undefined, runnerToken);
  if (done.status !== 202) throw new Error('complete did not complete');
  const end = await sagaEnd(runnerToken, done.body.sagaId);
  if (end !== 'COMPLETED') throw new Error('complete did not complete');
}
