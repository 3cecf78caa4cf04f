import { errorCode, type RabbitMqConnection } from './connection.ts';

/*
 * RabbitMQ has no offsets: the "offset" of a record is its position in the group's shard queue,
 * and the group's committed position is the one message of a queue `<group>.<topic>.<shard>.committed`
 * (`x-max-length: 1`, so a newer commit pushes the older one out).
 */

/** Commits a group's position in a shard queue, on the current connection (fails when there is none). */
export function writeCommitted(connection: RabbitMqConnection, queue: string, next: number): Promise<void> {
  const link = connection.current;
  if (!link) return Promise.reject(new Error('rabbitmq: not connected'));
  return connection.pubChannel(link).then(
    (ch) =>
      new Promise<void>((resolve, reject) => {
        ch.publish('', queue, Buffer.from(JSON.stringify({ next })), { persistent: true }, (err) => (err ? reject(err) : resolve()));
      }),
  );
}

/** A group's committed position in a shard queue (0 if it never committed). */
export async function readCommitted(connection: RabbitMqConnection, queue: string): Promise<number> {
  const link = await connection.connect();
  const ch = await connection.channel(link);
  let next = 0;
  try {
    // Peek: take what is there unacknowledged and close the channel, which puts it back.
    for (let i = 0; i < 16; i++) {
      const m = await ch.get(queue, { noAck: false });
      if (!m) break;
      const value = Number((JSON.parse(m.content.toString('utf8')) as { next?: unknown }).next);
      if (Number.isSafeInteger(value)) next = Math.max(next, value);
    }
  } catch (err) {
    if (errorCode(err) !== 404) throw err;
  } finally {
    await ch.close().catch(() => {});
  }
  return next;
}
