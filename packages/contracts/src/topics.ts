/** One topic of the catalogue, with its effective settings. */
export interface TopicSpec {
  name: string;
  description: string;
  partitions: number;
  retentionMs: number;
}

/**
 * The topic catalogue: the single source for every transport (Kafka topics, RabbitMQ queues, the
 * embedded log) and for the topic names the HTTP API accepts.
 */
const CATALOG = {
  defaults: { partitions: 3, retentionMs: 604_800_000, dlqRetentionMs: 2_592_000_000 },
  topics: [
    { name: 'create_order_commands', description: 'create_order, from the create-order saga to the order service' },
    { name: 'order_commands', description: 'every other order command, from the sagas to the order service' },
    { name: 'order_events', description: 'order.* events from the order service' },
    { name: 'user_commands', description: 'get_payment_info and get_payout_info, to the user service' },
    { name: 'user_events', description: 'user.* events from the user service' },
    { name: 'payment_commands', description: 'authorize_payment, revert_payment, release_payment, to the payment service' },
    { name: 'payment_events', description: 'payment.* events from the payment service' },
    { name: 'timer_commands', description: 'start_order_timer, restart_order_timer and stop_order_timer, to the timer service' },
    { name: 'timer_events', description: 'timer.* events from the timer service' },
    { name: 'saga_events', description: 'saga.* transitions from every saga orchestrator' },
  ],
} as const;

export type TopicName = (typeof CATALOG.topics)[number]['name'];

/** Every topic's name, in catalogue order. */
export const TOPIC_NAMES: readonly [TopicName, ...TopicName[]] = CATALOG.topics.map((t) => t.name) as [TopicName, ...TopicName[]];

/** `<topic>_dlq`: where a consumer puts a message it cannot handle. */
export const dlqTopic = (topic: string): string => `${topic}_dlq`;

/**
 * The topic catalogue with defaults applied, plus one dead-letter topic per topic. `partitions`
 * overrides the catalogue's default partition count, `retentionMs` the main topics' retention
 * (dead-letter topics keep theirs).
 */
export function topicCatalog(options: { partitions?: number; retentionMs?: number } = {}): TopicSpec[] {
  const { defaults } = CATALOG;
  const partitions = options.partitions ?? defaults.partitions;
  const main = CATALOG.topics.map((t) => ({
    name: t.name,
    description: t.description,
    partitions,
    retentionMs: options.retentionMs ?? defaults.retentionMs,
  }));
  const dlq = main.map((t) => ({
    name: dlqTopic(t.name),
    description: `dead letters of ${t.name}`,
    partitions: 1,
    retentionMs: defaults.dlqRetentionMs,
  }));
  return [...main, ...dlq];
}

/** Consumer group ids, named after their service (docs/messages.md). */
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
  releaseOrderSaga: 'release-order-saga-orchestrator',
  /** Read models of orders kept by services that show orders they do not own. */
  sagaOrderView: 'saga-order-view',
  paymentOrderView: 'payment-order-view',
  /** Figures built from the order and payment events, rebuilt by rewinding the group. */
  analytics: 'analytics-service',
} as const;

/** The topics each consumer group reads (docs/messages.md, Topics). */
export const GROUP_TOPICS: Record<(typeof GROUPS)[keyof typeof GROUPS], TopicName[]> = {
  // user_events: the names and phones of the people an order shows.
  'order-service': ['create_order_commands', 'order_commands', 'user_events'],
  'user-service': ['user_commands'],
  'payment-service': ['payment_commands'],
  'timer-service': ['timer_commands'],
  'notification-service': [...TOPIC_NAMES],
  // Each orchestrator reads the topics its replies (and the events that start its sagas) come from,
  // no more: a topic read for nothing costs a fetch and a decode of every record on it.
  'create-order-saga-orchestrator': ['order_events', 'user_events', 'payment_events', 'timer_events'],
  'accept-order-saga-orchestrator': ['order_events', 'timer_events'],
  'complete-order-saga-orchestrator': ['order_events', 'user_events', 'payment_events'],
  // timer.expired, order.cancelled and order.runner_released start cancel-order sagas too.
  'cancel-order-saga-orchestrator': ['order_events', 'payment_events', 'timer_events'],
  'release-order-saga-orchestrator': ['order_events', 'timer_events'],
  'saga-order-view': ['order_events'],
  'payment-order-view': ['order_events'],
  'analytics-service': ['order_events', 'payment_events'],
};
