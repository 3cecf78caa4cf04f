import { settledWithin } from '../signal.ts';
import type { SubscribeOptions, Subscription } from '../transport.ts';
import { hasErrorType } from './error-types.ts';
import { OffsetCommitter, type SendOffsets } from './offset-committer.ts';
import { type StreamContext, StreamMember } from './stream-member.ts';

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
 * Joins `options.groupId` as one member (`StreamMember`): batches handled by `options.handleBatch`,
 * each partition in order, their offsets committed only after the batch's handling transactions
 * (`OffsetCommitter`: without holding up the next read, coalesced while a commit is in flight and
 * for `COMMIT_INTERVAL_MS` after it, sent again until the generation ends).
 */
export async function joinGroup(c: StreamContext, options: SubscribeOptions): Promise<GroupMember> {
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
  let closing = false;
  const member = new StreamMember(c, options, {
    groupId: c.namespace + options.groupId,
    start: () => ({ mode: 'committed', fallback: fromBeginning ? 'earliest' : 'latest' }),
    // Offsets not yet sent belong to the generation that is ending.
    joined: () => committer.drop(),
    // A group that starts at the end has no committed offset until its first batch succeeds, and
    // Kafka resolves a missing commit to the *current* end again: a failure, a restart or a
    // rebalance before that first commit would skip the records in hand. So the position the group
    // started from is committed before the first batch of a partition is handled (it is never
    // behind the group's commit: a batch starts at or after it).
    beforeFirst: fromBeginning
      ? undefined
      : async (consumer, topic, partition, offset) => {
          await consumer.commit({ offsets: [{ topic, partition, offset: BigInt(offset), leaderEpoch: -1 }] });
        },
    // The offset is committed only after the batch's handling transactions committed. The next read
    // does not wait for the broker's answer, except on a member that is closing: it leaves the
    // group only once its last batch is committed, or after a grace (a broker that stays away must
    // not hold up the restart; the next owner gets the batch again).
    handled: async (consumer, topic, partition, next) => {
      const send: SendOffsets = (topics) =>
        consumer.commit({
          offsets: topics.flatMap((t) =>
            t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: BigInt(p.offset), leaderEpoch: -1 })),
          ),
        });
      const committed = committer.commit({ topic, partition, offset: String(next) }, send);
      if (closing) {
        committer.hurry();
        await settledWithin(committed, COMMIT_GRACE_MS);
      }
    },
  });
  await member.start();
  return {
    close: async () => {
      closing = true;
      await member.close(() => committer.close(COMMIT_GRACE_MS));
    },
    assignment: () => member.assignment(),
    commitRequests: () => committer.requests,
  };
}
