import { waitFor } from './client.ts';

export interface SseEvent {
  event: string;
  data: any;
}

/**
 * Opens `/api/stream` as the given user (a token, or the headers that say who the caller is) and
 * collects its server-sent events.
 */
export async function openStream(baseUrl: string, auth: string | Record<string, string>) {
  const controller = new AbortController();
  const headers = typeof auth === 'string' ? { authorization: `Bearer ${auth}` } : auth;
  const res = await fetch(`${baseUrl}/api/stream`, { headers, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
  const events: SseEvent[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  /** Set when the server ended the stream (not when the test closed it). */
  let endedByServer = false;
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          endedByServer = true;
          return;
        }
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          if (event && data) events.push({ event, data: JSON.parse(data) });
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    contentType: res.headers.get('content-type'),
    events,
    /** True once the server has ended the stream. */
    get ended() {
      return endedByServer;
    },
    /** Waits until the server ends the stream. */
    untilEnded(what = 'the server to end the stream') {
      return waitFor(async () => endedByServer, what);
    },
    /** Waits for an event matching `match` and returns it. */
    next(match: (e: SseEvent) => boolean, what = 'a stream event') {
      return waitFor(async () => events.find(match), what);
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}
