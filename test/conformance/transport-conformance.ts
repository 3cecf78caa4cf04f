/**
 * The transport conformance suite (docs/runtime.md, "Transport conformance"): the same tests for every
 * transport — embedded, Kafka, RabbitMQ. A transport plugs in through a `TransportHarness`.
 *
 * Rules the tests keep, so any transport can run them:
 * - every test creates its own topics (`conf_<random>`) with `ensureTopics` and its own group ids;
 * - a test waits on what handlers report (signals, polled state), never on a fixed sleep;
 * - where a transport may legitimately redeliver (at least once), the test accepts duplicates and
 *   asserts that nothing is lost or skipped; "exactly once" is only asserted where no member fails.
 */
import type { TopicSpec } from '@campusg/contracts';
import type { BatchHandler, Subscription, Transport } from '@campusg/messaging';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { commitAndRestartTests } from './suite/commits-and-restarts.ts';
import { consumerGroupTests } from './suite/consumer-groups.ts';
import type { ConformanceContext, TransportHarness } from './suite/context.ts';
import { deadLetterTests } from './suite/dead-letters.ts';
import { deliveryTests } from './suite/delivery.ts';
import { ephemeralTests } from './suite/ephemeral.ts';
import { groupResetTests } from './suite/group-reset.ts';
import { type Deferred, random } from './suite/helpers.ts';

export type { TransportHarness } from './suite/context.ts';
export { Deferred, waitFor } from './suite/helpers.ts';

/**
 * Registers the conformance suite for one transport: one `describe`, one transport opened for the
 * whole suite, and the tests of each part (delivery, consumer groups, commits and restarts, dead
 * letters, group reset, ephemeral subscriptions) on it.
 */
export function describeTransportConformance(name: string, harness: TransportHarness): void {
  const P = harness.partitions ?? 3;
  const WAIT = harness.waitTimeoutMs ?? 15_000;
  const replay = harness.capabilities.replay;

  describe(`transport conformance: ${name}`, () => {
    let transport: Transport;
    const specs: TopicSpec[] = [];
    const teardown: Array<() => Promise<unknown> | unknown> = [];
    const gates: Deferred[] = [];

    beforeAll(async () => {
      transport = await harness.create();
    });
    afterEach(async () => {
      for (const g of gates.splice(0)) g.resolve();
      for (const step of teardown.splice(0).reverse()) await step();
    });
    afterAll(async () => {
      await transport?.close();
      await harness.cleanup?.();
    });

    async function topic(partitions = P): Promise<string> {
      const spec: TopicSpec = { name: `conf_${random()}`, description: 'conformance', partitions, retentionMs: 7 * 86_400_000 };
      await transport.ensureTopics([spec]);
      specs.push(spec);
      return spec.name;
    }

    async function subscribe(
      groupId: string,
      topics: string[],
      handleBatch: BatchHandler,
      options: { ephemeral?: boolean } = {},
    ): Promise<Subscription> {
      const sub = await transport.subscribe({ groupId, topics, handleBatch, ...options });
      let closing: Promise<void> | undefined;
      const once: Subscription = { close: () => (closing ??= sub.close()), assignment: () => sub.assignment() };
      teardown.push(() => once.close());
      return once;
    }

    async function restart(): Promise<void> {
      transport = await harness.restart!(transport);
      await transport.ensureTopics(specs);
    }

    const allPartitions = (t: string) => Array.from({ length: P }, (_, p) => `${t}:${p}`);

    async function totalLag(groupId: string, topics: string[]): Promise<number> {
      const lag = await transport.lag(groupId, topics);
      return lag.reduce((sum, l) => sum + l.lag, 0);
    }

    /** Keys spread over every partition, so each member of a group has work. */
    const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

    const ctx: ConformanceContext = {
      harness,
      get transport() {
        return transport;
      },
      P,
      WAIT,
      replay,
      specs,
      teardown,
      gates,
      topic,
      subscribe,
      restart,
      allPartitions,
      totalLag,
      keys,
    };
    deliveryTests(ctx);
    consumerGroupTests(ctx);
    commitAndRestartTests(ctx);
    deadLetterTests(ctx);
    groupResetTests(ctx);
    ephemeralTests(ctx);
  });
}
