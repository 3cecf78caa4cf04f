import type { TopicSpec } from '@campusg/contracts';
import type { Channel } from 'amqplib';
import type { ConsumedRecord, GroupLag } from '../transport.ts';
import { errorCode, type RabbitMqConnection } from './connection.ts';
import { readCommitted } from './positions.ts';
import type { ShardWorker } from './shard-worker.ts';
import type { RabbitTopology } from './topology.ts';
import { fromWire } from './wire.ts';

/** What the operator's views of a RabbitMQ deployment read: its connection, its names, its topics, this process's workers. */
export interface Inspected {
  connection: RabbitMqConnection;
  names: RabbitTopology;
  spec(topic: string): TopicSpec | undefined;
  /** The worker of this process consuming a group's shard, if any. */
  localWorker(groupId: string, topic: string, shard: number): ShardWorker | undefined;
}

/**
 * The dead letters of a `<topic>_dlq` topic's shard `partition`, from `fromOffset` (a position in its
 * queue as it is now), peeked: nothing is removed. RabbitMQ keeps no history of the other topics.
 */
export async function peekDeadLetters(
  t: Inspected,
  topic: string,
  partition: number,
  fromOffset: number,
  limit: number,
): Promise<ConsumedRecord[]> {
  if (!topic.endsWith('_dlq')) {
    throw new Error(`rabbitmq keeps no history: only <topic>_dlq queues can be read, not ${topic} (capabilities.replay is false)`);
  }
  const link = await t.connection.connect();
  const ch = await t.connection.channel(link);
  const out: ConsumedRecord[] = [];
  try {
    for (let position = 0; out.length < limit; position++) {
      const m = await ch.get(t.names.deadLetterQueue(topic), { noAck: false });
      if (!m) break;
      const shard = Number(m.fields.routingKey.slice(topic.length + 1).split('.')[0]) || 0;
      if (position >= fromOffset && shard === partition) out.push(fromWire(t.names, m, topic, shard, position));
    }
  } catch (err) {
    if (errorCode(err) !== 404) throw err;
  } finally {
    await ch.close().catch(() => {}); // puts every peeked message back
  }
  return out;
}

/**
 * Per shard queue: `committed` is the group's committed position, `lag` the messages still in the
 * queue plus those this process holds unacknowledged (RabbitMQ does not tell another process's
 * unacknowledged count over AMQP). A `<topic>_dlq` topic has no group queues, only the one queue
 * that keeps its dead letters: its `end` (and `lag`) is the dead letters in it, as a log's end
 * offset counts them on the other transports.
 */
export async function groupLag(t: Inspected, groupId: string, topics: string[]): Promise<GroupLag[]> {
  const link = await t.connection.connect();
  let ch: Channel | undefined;
  const out: GroupLag[] = [];
  try {
    for (const topic of topics) {
      const spec = t.spec(topic);
      if (!spec) continue;
      if (topic.endsWith('_dlq')) {
        ch ??= await t.connection.channel(link);
        const kept = await ch.checkQueue(t.names.deadLetterQueue(topic)).then(
          (q) => q.messageCount,
          (err) => {
            if (errorCode(err) !== 404) throw err;
            ch = undefined; // not declared (yet): nothing kept
            return 0;
          },
        );
        out.push({ groupId, topic, partition: 0, committed: 0, end: kept, lag: kept });
        continue;
      }
      for (let shard = 0; shard < spec.partitions; shard++) {
        ch ??= await t.connection.channel(link);
        let ready: number;
        try {
          ready = (await ch.checkQueue(t.names.groupQueue(groupId, topic, shard))).messageCount;
        } catch (err) {
          if (errorCode(err) !== 404) throw err;
          ch = undefined; // the group never declared this queue
          continue;
        }
        const local = t.localWorker(groupId, topic, shard);
        const committed = local?.committed ?? (await readCommitted(t.connection, t.names.committedQueue(groupId, topic, shard)));
        const lag = ready + (local?.unacked ?? 0);
        out.push({ groupId, topic, partition: shard, committed, end: committed + lag, lag });
      }
    }
  } finally {
    await ch?.close().catch(() => {});
  }
  return out;
}
