import catalog from '../../../kafka/config/topics.json' with { type: 'json' };

/** One topic of the catalogue, with its effective settings. */
export interface TopicSpec {
  name: string;
  description: string;
  partitions: number;
  retentionMs: number;
}

export const TOPIC_NAMES = [
  'create_order_commands',
  'order_commands',
  'order_events',
  'user_commands',
  'user_events',
  'payment_commands',
  'payment_events',
  'timer_commands',
  'timer_events',
  'saga_events',
] as const;
export type TopicName = (typeof TOPIC_NAMES)[number];

/** `<topic>_dlq`: where a consumer puts a message it cannot handle. */
export const dlqTopic = (topic: string): string => `${topic}_dlq`;

/**
 * The topic catalogue (`kafka/config/topics.json`) with defaults applied, plus one dead-letter topic
 * per topic. `partitions` overrides the catalogue's default partition count.
 */
export function topicCatalog(options: { partitions?: number } = {}): TopicSpec[] {
  const { defaults } = catalog;
  const partitions = options.partitions ?? defaults.partitions;
  const main = catalog.topics.map((t) => ({
    name: t.name,
    description: t.description,
    partitions,
    retentionMs: defaults.retentionMs,
  }));
  const dlq = main.map((t) => ({
    name: dlqTopic(t.name),
    description: `dead letters of ${t.name}`,
    partitions: 1,
    retentionMs: defaults.dlqRetentionMs,
  }));
  return [...main, ...dlq];
}

/** Consumer group ids, named after their service (messages.md). */
export const GROUPS = {
  order: 'order-service',
  user: 'user-service',
  payment: 'payment-service',
  timer: 'timer-service',
  notification: 'notification-service',
  createOrderSaga: 'create-order-saga-orchestrator',
  acceptOrderSaga: 'accept-order-saga-orchestrator',
  completeOrderSaga: 'complete-order-saga-orchestrator',
  cancelOrderSaga: 'cancel-order-saga-orchestrator',
  /** Read models of orders kept by services that show orders they do not own. */
  sagaOrderView: 'saga-order-view',
  paymentOrderView: 'payment-order-view',
} as const;

const REPLY_TOPICS: TopicName[] = ['order_events', 'user_events', 'payment_events', 'timer_events'];

/** The topics each consumer group reads (messages.md, Topics). */
export const GROUP_TOPICS: Record<(typeof GROUPS)[keyof typeof GROUPS], TopicName[]> = {
  'order-service': ['create_order_commands', 'order_commands'],
  'user-service': ['user_commands'],
  'payment-service': ['payment_commands'],
  'timer-service': ['timer_commands'],
  'notification-service': [...TOPIC_NAMES],
  'create-order-saga-orchestrator': REPLY_TOPICS,
  'accept-order-saga-orchestrator': REPLY_TOPICS,
  'complete-order-saga-orchestrator': REPLY_TOPICS,
  'cancel-order-saga-orchestrator': REPLY_TOPICS,
  'saga-order-view': ['order_events'],
  'payment-order-view': ['order_events'],
};
