import { tracingChannel } from 'node:diagnostics_channel';

/** Kafka's API keys by number, for the ones a consumer, a producer and an admin send. */
const API_NAMES: Record<number, string> = {
  0: 'Produce',
  1: 'Fetch',
  2: 'ListOffsets',
  3: 'Metadata',
  8: 'OffsetCommit',
  9: 'OffsetFetch',
  10: 'FindCoordinator',
  11: 'JoinGroup',
  12: 'Heartbeat',
  13: 'LeaveGroup',
  14: 'SyncGroup',
  18: 'ApiVersions',
  22: 'InitProducerId',
};

/**
 * Calls `count` with the API's name for every request any Kafka client of this process sends:
 * `@platformatic/kafka` announces each on one diagnostics channel before it is sent.
 */
export function onKafkaRequest(count: (api: string) => void): void {
  tracingChannel<unknown, { apiKey: number }>('plt:kafka:connections:api').subscribe({
    start: ({ apiKey }) => count(API_NAMES[apiKey] ?? `api ${apiKey}`),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => {},
    error: () => {},
  });
}
