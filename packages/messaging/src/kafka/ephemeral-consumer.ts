import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { SubscribeOptions, Subscription } from '../transport.ts';
import { toConsumed } from './to-consumed.ts';
import { untilSettled } from './until-settled.ts';

/** What an ephemeral consumer needs of its transport. */
export interface EphemeralContext {
  kafka: Kafka;
  admin: Admin;
  /** The namespace prefix of topics and groups, and the inverse mapping. */
  namespace: string;
  local: (topic: string) => string;
  log: Logger;
}

/**
 * An ephemeral subscription on Kafka: a consumer group of its own (`<groupId>.<uuid>`), the only
 * member of it, so it is assigned every partition. It never commits: its position is kept here,
 * starting from the end of each partition as the subscription began, and every (re)join of the
 * group seeks each partition to it — a batch whose handler failed (kafkajs restarts the crashed
 * consumer) comes again. Closing leaves the group and deletes it; a process that dies leaves an
 * empty group without offsets, which the broker drops on its own.
 */
export async function subscribeEphemeral(c: EphemeralContext, options: SubscribeOptions): Promise<Subscription> {
  const groupId = `${c.namespace}${options.groupId}.${crypto.randomUUID()}`;
  const topics = options.topics.map((t) => c.namespace + t);
  // The position of every partition (`topic:partition` → next offset): the end, now. A record
  // published once `subscribe` resolved is after it, whenever the group's join completes.
  const next = new Map<string, string>();
  for (const topic of topics) {
    const ends = await untilSettled(() => c.admin.fetchTopicOffsets(topic), c.log, `reading the end of ${c.local(topic)}`);
    for (const o of ends) next.set(`${topic}:${o.partition}`, o.high);
  }
  const consumer = c.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 1000,
    retry: { initialRetryTime: 100, retries: 10, maxRetryTime: 5000 },
  });
  let assignment: string[] = [];
  let closed = false;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assignment = [];
    for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
      for (const partition of partitions) {
        assignment.push(`${c.local(topic)}:${partition}`);
        // A partition added since has no position: the consumer starts it at its end (fromBeginning false).
        const offset = next.get(`${topic}:${partition}`);
        if (offset !== undefined) consumer.seek({ topic, partition, offset });
      }
    }
  });
  let rerun: NodeJS.Timeout | undefined;
  const run = () =>
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        const beat = setInterval(() => void heartbeat().catch(() => {}), 1000);
        try {
          await options.handleBatch(batch.messages.map((m) => toConsumed(c.local(batch.topic), batch.partition, m)));
        } finally {
          clearInterval(beat);
        }
        const last = batch.messages[batch.messages.length - 1]!.offset;
        next.set(`${batch.topic}:${batch.partition}`, String(Number(last) + 1));
        resolveOffset(last);
      },
    });
  // As for a group member: a crash kafkajs deems final would leave the consumer stopped for good.
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart || closed) return;
    c.log.warn({ err: e.payload.error, groupId: options.groupId }, 'kafka: ephemeral consumer stopped by a crash; running it again');
    rerun = setTimeout(() => {
      if (!closed) run().catch((err) => c.log.error({ err, groupId: options.groupId }, 'kafka: ephemeral consumer could not run again'));
    }, 1000);
  });
  try {
    await consumer.connect();
    await untilSettled(() => consumer.subscribe({ topics, fromBeginning: false }), c.log, `subscribing ${options.groupId}`);
    await run();
  } catch (err) {
    closed = true;
    await consumer.disconnect().catch(() => {});
    throw err;
  }
  return {
    close: async () => {
      closed = true;
      clearTimeout(rerun);
      await consumer.disconnect();
      await c.admin.deleteGroups([groupId]).catch((err) => c.log.debug({ err, groupId }, 'kafka: ephemeral group not deleted'));
    },
    assignment: () => [...assignment].sort(),
  };
}
