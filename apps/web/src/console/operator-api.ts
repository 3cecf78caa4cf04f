import type {
  AnalyticsFigures,
  ConsumerLag,
  DeadLetter,
  DeadLetterCounts,
  OperatorHealth,
  OperatorSaga,
  OperatorSagaList,
  OrderTrace,
  TopicList,
  TopicMessages,
} from '@campusg/contracts';
import { isApiError, request } from '../api/http.ts';

const KEY = 'campusg.operator-token';

/** The operator token, kept for this browser tab's session only (sessionStorage), never in a cookie. */
export const operatorToken = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (token: string) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};

type Query = Record<string, string | number | undefined>;

/** One call to the operator API with the session's token; a refused token is forgotten. */
async function admin<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  try {
    return await request<T>(method, path, { ...options, headers: { authorization: `Bearer ${operatorToken.get() ?? ''}` } });
  } catch (error) {
    if (isApiError(error, 'UNAUTHENTICATED')) {
      operatorToken.clear();
      window.dispatchEvent(new Event('campusg:operator-signed-out'));
    }
    throw error;
  }
}

/** The operator API (`/admin/*`), as the console calls it. */
export const operatorApi = {
  sagas: (query: Query) => admin<OperatorSagaList>('GET', '/admin/sagas', { query }),
  saga: (id: string) => admin<OperatorSaga>('GET', `/admin/sagas/${id}`),
  retrySaga: (id: string) => admin<{ retried: boolean; status: string }>('POST', `/admin/sagas/${id}/retry`, { body: {} }),
  trace: (orderId: string) => admin<OrderTrace>('GET', `/admin/orders/${orderId}/trace`),
  deadLetterCounts: () => admin<DeadLetterCounts>('GET', '/admin/dlq'),
  deadLetters: (topic: string) => admin<{ items: DeadLetter[] }>('GET', `/admin/dlq/${topic}`),
  replay: (topic: string, offset?: number) =>
    admin<{ replayed: number }>('POST', `/admin/dlq/${topic}/replay`, { body: offset === undefined ? {} : { offset } }),
  lag: () => admin<ConsumerLag>('GET', '/admin/lag'),
  topics: () => admin<TopicList>('GET', '/admin/topics'),
  topicMessages: (topic: string, key?: string) => admin<TopicMessages>('GET', `/admin/topics/${topic}/messages`, { query: { key } }),
  health: () => admin<OperatorHealth>('GET', '/admin/health'),
  analytics: () => admin<AnalyticsFigures>('GET', '/admin/analytics'),
  /** Checks a token before keeping it: the cheapest operator call. */
  async signIn(token: string): Promise<void> {
    await request('GET', '/admin/lag', { headers: { authorization: `Bearer ${token}` } });
    operatorToken.set(token);
  },
};

/** This deployment's /metrics, as text (the gateway answers the whole deployment's). */
export async function fetchMetrics(): Promise<string> {
  const res = await fetch('/metrics', { headers: { accept: 'text/plain' } });
  if (!res.ok) throw new Error(`metrics: ${res.status}`);
  return res.text();
}
