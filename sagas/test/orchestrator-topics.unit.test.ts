import { GROUP_TOPICS, type MessageType, topicOf } from '@campusg/contracts';
import type { Handlers, MessageBus, ServiceDeps } from '@campusg/messaging';
import { createLogger, loadConfig, ManualClock, Metrics, randomIds } from '@campusg/platform';
import { describe, expect, it } from 'vitest';
import { createOrchestrators, startOrchestrators, stopOrchestrators } from '../src/orchestrators.ts';

// Each group of the sagas process reads the topics its handlers' messages come from, and no other:
// a topic read for nothing costs every record on it a fetch and a decode in that group, and a
// handler on a topic not read would never run. A bus that records what it is asked stands in.

async function joinedGroups() {
  const consumed: { group: string; topics: string[]; handlers: Handlers }[] = [];
  const bus = {
    consume: async (group: string, topics: string[], handlers: Handlers) => {
      consumed.push({ group, topics, handlers });
    },
  } as unknown as MessageBus;
  const deps = {
    config: loadConfig({ AUTH_SECRET: 'test-secret-test-secret-test-secret-0123' }),
    db: undefined as never,
    bus,
    clock: new ManualClock(),
    ids: randomIds,
    log: createLogger({ level: 'fatal' }),
    metrics: new Metrics({ defaultMetrics: false }),
  } satisfies ServiceDeps;
  const sagas = createOrchestrators(deps);
  await startOrchestrators(sagas, deps);
  stopOrchestrators(sagas);
  return consumed;
}

describe('the sagas process’s consumer groups', () => {
  it('each read exactly the topics of the messages they handle, as GROUP_TOPICS declares', async () => {
    const consumed = await joinedGroups();
    expect(consumed.map((c) => c.group).sort()).toEqual([
      'accept-order-saga-orchestrator',
      'cancel-order-saga-orchestrator',
      'complete-order-saga-orchestrator',
      'create-order-saga-orchestrator',
      'release-order-saga-orchestrator',
      'saga-order-view',
    ]);
    for (const { group, topics, handlers } of consumed) {
      const needed = new Set((Object.keys(handlers) as MessageType[]).map(topicOf));
      expect(new Set(topics), group).toEqual(needed);
      expect(topics, group).toEqual(GROUP_TOPICS[group as keyof typeof GROUP_TOPICS]);
    }
  });
});
