import { setTimeout as sleep } from 'node:timers/promises';
import { sampleOrderBody } from './fixtures.ts';

/** A response as the tests look at it. */
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

let seq = 0;

/** A thin HTTP client over fetch that remembers its user's token. */
export class ApiClient {
  token: string | undefined;
  user: any;
  constructor(public baseUrl: string) {}

  /** One request; `signal` can bound it (a deployment in trouble may accept a connection and never answer). */
  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token && !('authorization' in h)) h.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      h['content-type'] ??= 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers: h, body: payload, signal });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Registers a fresh user and keeps its token. */
  async register(name = 'Alice'): Promise<this> {
    const email = `${name.toLowerCase().replace(/\W/g, '')}.${process.pid}.${++seq}.${Date.now()}@smu.edu.sg`;
    const res = await this.post('/api/auth/register', { email, password: 'correct horse', name });
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.token = res.body.token;
    this.user = res.body.user;
    return this;
  }
  async addCard(number = '4242424242424242'): Promise<this> {
    const res = await this.put('/api/me/card', { number, expMonth: 12, expYear: 2031, cvc: '123' });
    if (res.status !== 200) throw new Error(`card failed: ${res.status} ${JSON.stringify(res.body)}`);
    return this;
  }
  async becomeRunner(): Promise<this> {
    const res = await this.post('/api/me/runner');
    if (res.status !== 200) throw new Error(`runner failed: ${res.status}`);
    this.user = res.body;
    return this;
  }
  async createOrder(body: unknown = sampleOrderBody(), headers?: Record<string, string>) {
    const res = await this.post('/api/orders', body, headers);
    if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { orderId: string; sagaId: string; status: 'PENDING' };
  }
  /** Waits (up to `timeoutMs`) until the saga reaches an end state and returns it. */
  async saga(sagaId: string, until: (s: any) => boolean = (s) => !['RUNNING', 'COMPENSATING'].includes(s.status), timeoutMs?: number) {
    return waitFor(
      async () => {
        const res = await this.get(`/api/sagas/${sagaId}`);
        return res.status === 200 && until(res.body) ? res.body : undefined;
      },
      `saga ${sagaId} to finish`,
      timeoutMs,
    );
  }
  /** Waits until the caller sees the order in a given status. */
  async orderIn(orderId: string, status: string) {
    return waitFor(async () => {
      const res = await this.get(`/api/orders/${orderId}`);
      return res.status === 200 && res.body.status === status ? res.body : undefined;
    }, `order ${orderId} to be ${status}`);
  }
}

/**
 * Waits for an observable condition (the value returned when truthy), checking after each small
 * pause; fails with a description when it does not hold within the time limit.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(pause);
  }
}
