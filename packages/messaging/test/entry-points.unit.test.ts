/**
 * A process loads only the broker client it uses: the core entry point loads neither @platformatic/kafka nor
 * amqplib, each adapter's entry point loads its own client only, and `openTransport` loads the
 * adapter the settings choose and no other. Each case runs in a fresh child process, since this
 * test process may have loaded anything already.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('./support/loaded-clients.ts', import.meta.url));

async function probe(what: string): Promise<{ loaded: string[]; transport?: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE, what], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('entry points', () => {
  it.each([
    ['@campusg/messaging', []],
    ['@campusg/messaging/embedded', []],
    ['@campusg/messaging/kafka', ['@platformatic/kafka']],
    ['@campusg/messaging/rabbitmq', ['amqplib']],
  ])('importing %s loads the clients %j', async (entry, clients) => {
    expect((await probe(entry)).loaded).toEqual(clients);
  });

  it.each([
    ['embedded', []],
    ['kafka', ['@platformatic/kafka']],
    ['rabbitmq', ['amqplib']],
  ])('openTransport on bus %s loads the clients %j', async (bus, clients) => {
    expect(await probe(`open:${bus}`)).toEqual({ loaded: clients, transport: bus });
  });
});
