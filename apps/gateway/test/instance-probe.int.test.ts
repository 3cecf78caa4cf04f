import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeInstance } from '../src/deployment-health.ts';

/**
 * How the gateway asks one instance who it is, against real sockets: an instance that answers, one
 * that is gone, one that accepts the connection and never answers, one that answers something else.
 */

const open: { close(): void }[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function listening(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  open.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const answering = (status: number, body: unknown) =>
  listening(createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))));

describe('probeInstance', () => {
  it('returns what a live instance says of itself', async () => {
    const self = {
      id: 'host:42',
      services: ['order'],
      version: '0.1.0',
      startedAt: '2026-11-26T10:00:00.000Z',
      uptimeSeconds: 12,
      ready: false,
    };
    expect(await probeInstance(await answering(200, self))).toEqual(self);
  });

  it('says the connection was refused when nothing listens any more', async () => {
    const url = await listening(createServer());
    open.pop()!.close();
    expect(await probeInstance(url)).toEqual({ problem: 'connection refused' });
  });

  it('gives up on an instance that accepts and never answers, after the timeout', async () => {
    const sockets: Socket[] = [];
    const url = await listening(createTcpServer((socket) => sockets.push(socket)));
    open.push({
      close: () => {
        for (const s of sockets) s.destroy();
      },
    });
    expect(await probeInstance(url, 200)).toEqual({ problem: 'no answer within 200 ms' });
  });

  it('reports an answer that is not an instance', async () => {
    expect(await probeInstance(await answering(503, { code: 'NOT_READY' }))).toEqual({ problem: 'GET /instance answered 503' });
    expect(await probeInstance(await answering(200, { status: 'ok' }))).toEqual({
      problem: 'GET /instance answered something that is not an instance',
    });
  });
});
