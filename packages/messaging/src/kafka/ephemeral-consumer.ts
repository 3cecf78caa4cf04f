import type { Admin } from '@platformatic/kafka';
import type { SubscribeOptions, Subscription } from '../transport.ts';
import { type StreamContext, StreamMember } from './stream-member.ts';
import { topicBounds } from './topic-offsets.ts';
import { untilSettled } from './until-settled.ts';

/**
 * An ephemeral subscription on Kafka: a consumer group of its own (`<groupId>.<uuid>`), the only
 * member of it, so it is assigned every partition. It never commits: its position is kept here,
 * starting from the end of each partition as the subscription began, and a stream opened again
 * (after a failure) starts from it. Closing leaves the group and deletes it; a process that dies
 * leaves an empty group without offsets, which the broker drops on its own.
 */
export async function subscribeEphemeral(c: StreamContext & { admin: Admin }, options: SubscribeOptions): Promise<Subscription> {
  const groupId = `${c.namespace}${options.groupId}.${crypto.randomUUID()}`;
  // The position of every partition (`topic:partition` → next offset): the end, now. A record
  // published once `subscribe` resolved is after it, whenever the group's join completes. A
  // partition added since has no position: the stream starts it at its end.
  const next = new Map<string, number>();
  for (const topic of options.topics.map((t) => c.namespace + t)) {
    const bounds = await untilSettled(() => topicBounds(c.admin, topic), c.log, `reading the end of ${c.local(topic)}`);
    for (const b of bounds) next.set(`${topic}:${b.partition}`, b.high);
  }
  const member = new StreamMember(c, options, {
    groupId,
    start: () => ({ mode: 'manual', offsets: next }),
    handled: async (_consumer, topic, partition, offset) => {
      next.set(`${topic}:${partition}`, offset);
    },
  });
  await member.start();
  return {
    close: async () => {
      await member.close();
      await c.admin.deleteGroups({ groups: [groupId] }).catch((err) => c.log.debug({ err, groupId }, 'kafka: ephemeral group not deleted'));
    },
    assignment: () => member.assignment(),
  };
}
