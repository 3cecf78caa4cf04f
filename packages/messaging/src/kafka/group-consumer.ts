import type { ConsumerRunConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { settledWithin } from '../signal.ts';
import type { ConsumedRecord, SubscribeOptions, Subscription } from '../transport.ts';
import { hasErrorType } from './error-types.ts';
import { OffsetCommitter } from './offset-committer.ts';
import { toConsumed } from './to-consumed.ts';
import { untilSettled } from './until-settled.ts';

/** What a consumer group member needs of its transport. */
export interface GroupContext {
  kafka: Kafka;
  /** The namespace prefix of topics and groups, and the inverse mapping. */
  namespace: string;
  local: (topic: string) => string;
  log: Logger;
  /** Partitions of one member handled at once (each partition stays sequential). */
  partitionsConsumedConcurrently: number;
}

/** A member of a consumer group, and how many OffsetCommit requests it sent (a measure of broker work). */
export interface GroupMember extends Subscription {
  commitRequests(): number;
}

/**
 * How long a closing member keeps sending its last offsets to a coordinator that does not answer.
 * Past it the member leaves anyway and the next owner of its partitions gets those records again.
 */
const COMMIT_GRACE_MS = 10_000;

/**
 * The least time between two OffsetCommit requests of a member. Each costs a round trip and about
 * a millisecond of broker CPU; one per batch was 25 requests per create-order saga. A member idle
 * for this long commits its next batch at once; a crash hands at most this much handled traffic of
 * its partitions to the next owner again, which the inbox recognises.
 */
const COMMIT_INTERVAL_MS = 500;

/** Answers to an OffsetCommit that no retry in the member's generation can turn: a rejoin follows. */
const GENERATION_OVER = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);

/**
 * Joins `options.groupId` as one member: batches handled by `options.handleBatch`, each partition in
 * order, their offsets committed only after the batch's handling transactions (`OffsetCommitter`:
 * without holding up the next fetch, coalesced while a commit is in flight and for
 * `COMMIT_INTERVAL_MS` after it, sent again until the generation ends). A consumer that kafkajs leaves stopped after a crash is run again.
 */
export async function joinGroup(c: GroupContext, options: SubscribeOptions): Promise<GroupMember> {
  const consumer = c.kafka.consumer({
    groupId: c.namespace + options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 1000,
    // How long the broker holds a fetch that finds nothing new. A record arriving ends the wait at
    // once, so this bounds no delivery; it is how often an idle consumer asks, and an idle process
    // holds a consumer per group (50 ms cost about a third more CPU at rest).
    maxWaitTimeInMs: 1000,
    retry: { initialRetryTime: 100, retries: 10, maxRetryTime: 5000 },
  });
  let assignment: string[] = [];
  /** Partitions of this assignment whose start position is known to be committed (see below). */
  const anchored = new Set<string>();
  const fromBeginning = options.fromBeginning ?? true;
  const committer = new OffsetCommitter({
    intervalMs: COMMIT_INTERVAL_MS,
    // The first failure and every tenth after it: a broker down for a minute makes a dozen lines.
    onFailure: (err, failures) => {
      if (failures === 1 || failures % 10 === 0)
        c.log.warn({ err, groupId: options.groupId, failures }, 'kafka: offset commit failed; sending it again');
    },
    endsGeneration: (err) => hasErrorType(err, GENERATION_OVER),
  });
  // Offsets not yet sent belong to the generation that is ending.
  consumer.on(consumer.events.REBALANCING, () => committer.drop());
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    committer.drop();
    assignment = Object.entries(e.payload.memberAssignment).flatMap(([topic, parts]) => parts.map((p) => `${c.local(topic)}:${p}`));
    anchored.clear();
  });
  let closed = false;
  let rerun: NodeJS.Timeout | undefined;
  // kafkajs restarts a crashed consumer only after an error it deems retriable. After one it deems
  // final it leaves the consumer stopped for good, and the service would silently stop consuming:
  // e.g. KafkaJSGroupCoordinatorNotFound while a restarted broker is still loading its groups. The
  // crashed consumer is already disconnected then: run it again (it rejoins from the committed offsets).
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart || closed) return;
    c.log.warn({ err: e.payload.error, groupId: options.groupId }, 'kafka: consumer stopped by a crash; running it again');
    rerun = setTimeout(() => {
      if (!closed) consumer.run(run).catch((err) => c.log.error({ err, groupId: options.groupId }, 'kafka: consumer could not run again'));
    }, 1000);
  });
  await consumer.connect();
  await untilSettled(
    () => consumer.subscribe({ topics: options.topics.map((t) => c.namespace + t), fromBeginning }),
    c.log,
    `subscribing ${options.groupId}`,
  );
  const run: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: c.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
      // Commits through the batch's own handle: `consumer.commitOffsets` is silently a no-op once
      // the consumer is stopping, so the batch a closing member finishes would never be committed
      // and would come again to the next owner. The group is only left after this batch.
      const commit = (offset: string) =>
        commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] });
      if (batch.messages.length === 0 || !isRunning() || isStale()) return;
      const records: ConsumedRecord[] = batch.messages.map((m) => toConsumed(c.local(batch.topic), batch.partition, m));
      const tp = `${batch.topic}:${batch.partition}`;
      if (!fromBeginning && !anchored.has(tp)) {
        // A group that starts at the end has no committed offset until its first batch succeeds,
        // and Kafka resolves a missing commit to the *current* end again: a failure, a restart or
        // a rebalance before that first commit would skip the records in hand. So the position the
        // group started from is committed before the first batch of a partition is handled (it is
        // never behind the group's commit: a batch starts at or after it).
        await commit(batch.messages[0]!.offset);
        anchored.add(tp);
      }
      const beat = setInterval(() => void heartbeat().catch(() => {}), 1000);
      try {
        await options.handleBatch(records);
      } finally {
        clearInterval(beat);
      }
      const last = batch.messages[batch.messages.length - 1]!.offset;
      // The offset is committed only after the batch's handling transactions committed. The next
      // batch does not wait for the broker's answer, except on a member that is stopping: it
      // leaves the group only once its last batch is committed.
      const committed = committer.commit({ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }, (topics) =>
        commitOffsetsIfNecessary({ topics }),
      );
      resolveOffset(last);
      // A member that is stopping (closed, or kafkajs stopping it after a crash, which waits for
      // this batch) leaves once its offset is committed, or after a grace: a broker that stays
      // away must not hold up the restart, and the next owner gets the batch again.
      if (closed || !isRunning()) {
        committer.hurry();
        await settledWithin(committed, COMMIT_GRACE_MS);
      }
    },
  };
  await consumer.run(run);
  return {
    close: async () => {
      closed = true;
      clearTimeout(rerun);
      await committer.close(COMMIT_GRACE_MS);
      await consumer.disconnect();
    },
    assignment: () => [...assignment].sort(),
    commitRequests: () => committer.requests,
  };
}
