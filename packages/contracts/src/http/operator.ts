import { z } from 'zod';
import { SAGA_STATUSES, SAGA_TYPES } from '../messages.ts';
import { TOPIC_NAMES } from '../topics.ts';
import { isoTime, uuid } from './fields.ts';

/**
 * The operator API (`/admin/*`, behind `ADMIN_TOKEN`): what the console and the `campusg` operator
 * commands read. Not part of the public API, so not in its OpenAPI document.
 */

/** `GET /admin/sagas`: newest first; `nextOffset` pages on (null on the last page). */
export const operatorSagaList = z.object({
  items: z.array(
    z.object({
      id: uuid,
      type: z.enum(SAGA_TYPES),
      status: z.enum(SAGA_STATUSES),
      orderId: uuid,
      step: z.string().nullable(),
      startedAt: isoTime,
      endedAt: isoTime.nullable(),
      error: z.string().nullable(),
    }),
  ),
  nextOffset: z.number().int().nullable(),
});
export type OperatorSagaList = z.infer<typeof operatorSagaList>;

/** `GET /admin/sagas/{id}`: the instance, its definition's steps, its history and what it waits for. */
export const operatorSaga = z.object({
  id: uuid,
  type: z.enum(SAGA_TYPES),
  status: z.enum(SAGA_STATUSES),
  orderId: uuid,
  phase: z.enum(['forward', 'compensation', 'done']),
  failedIn: z.enum(['forward', 'compensation']).optional(),
  stepIndex: z.number().int(),
  step: z.string().nullable(),
  /** The definition's forward steps, each named after the command it sends. */
  steps: z.array(z.string()),
  compensations: z.array(z.object({ step: z.string(), command: z.object({ type: z.string() }) })),
  compensated: z.number().int(),
  attempts: z.number().int(),
  deadlineAt: isoTime.nullable(),
  error: z.string().nullable(),
  startedAt: isoTime,
  endedAt: isoTime.nullable(),
  waitingFor: z.array(z.object({ type: z.string(), messageId: uuid, sentAt: isoTime })),
  history: z.array(z.object({ at: isoTime, kind: z.string(), type: z.string(), messageId: uuid.nullable(), note: z.string().nullable() })),
});
export type OperatorSaga = z.infer<typeof operatorSaga>;

/** `GET /admin/orders/{id}/trace`: every message about an order, parents before the messages they caused. */
export const orderTrace = z.object({
  orderId: uuid,
  items: z.array(
    z.object({
      messageId: uuid,
      correlationId: uuid,
      causationId: uuid.nullable(),
      /** How many causes up to a message with no cause in this trace. */
      depth: z.number().int(),
      type: z.string(),
      topic: z.string(),
      partition: z.number().int(),
      offset: z.number().int(),
      /** The service that sent it. */
      source: z.string(),
      at: isoTime,
      summary: z.string(),
      payload: z.record(z.string(), z.unknown()),
      /** The consumer groups that read its topic; for each, the reply it gave and when, if any. */
      handledBy: z.array(
        z.object({ group: z.string(), service: z.string().nullable(), at: isoTime.nullable(), reply: z.string().nullable() }),
      ),
    }),
  ),
});
export type OrderTrace = z.infer<typeof orderTrace>;

const deadLetter = z.object({
  offset: z.number().int(),
  at: isoTime,
  messageId: z.string().nullable(),
  type: z.string().nullable(),
  reason: z.string().optional(),
  error: z.string().optional(),
  group: z.string().optional(),
  original: z.object({ topic: z.string().optional(), partition: z.number(), offset: z.number() }),
  value: z.string(),
});
/** `GET /admin/dlq/{topic}`: a topic's dead letters, oldest first. */
export const deadLetterList = z.object({ items: z.array(deadLetter) });
export type DeadLetter = z.infer<typeof deadLetter>;
/** `GET /admin/dlq`: how many dead letters each topic has. */
export const deadLetterCounts = z.object({ topics: z.array(z.object({ topic: z.enum(TOPIC_NAMES), count: z.number().int() })) });
export type DeadLetterCounts = z.infer<typeof deadLetterCounts>;

const partitionLag = z.object({ topic: z.string(), partition: z.number().int(), committed: z.number(), end: z.number(), lag: z.number() });
/** `GET /admin/lag`: each consumer group's lag, per partition. */
export const consumerLag = z.object({
  groups: z.array(z.object({ group: z.string(), lag: z.number(), partitions: z.array(partitionLag) })),
});
export type ConsumerLag = z.infer<typeof consumerLag>;

/**
 * `GET /admin/topics`: each topic's end offsets (messages ever appended), for rates between two reads.
 * Without `history` (RabbitMQ) a message is gone once acknowledged: `messages` counts what the
 * `notification-service` group (which reads every topic) has received, and no topic's messages can be read.
 */
export const topicList = z.object({
  at: isoTime,
  history: z.boolean(),
  topics: z.array(z.object({ topic: z.string(), partitions: z.number().int(), messages: z.number() })),
});
export type TopicList = z.infer<typeof topicList>;

/** `GET /admin/topics/{topic}/messages`: a topic's latest messages, newest first, optionally of one key. */
export const topicMessages = z.object({
  items: z.array(
    z.object({
      partition: z.number().int(),
      offset: z.number().int(),
      key: z.string().nullable(),
      at: isoTime,
      type: z.string().nullable(),
      value: z.string(),
    }),
  ),
});
export type TopicMessages = z.infer<typeof topicMessages>;

/**
 * One process running a service, as `GET /admin/health` reports it: `ready` (it answers `GET /instance`
 * and is ready), `up` (it answers, not ready: starting, or its database or the bus unreachable) or
 * `down` (no answer in time). What it said of itself is null when it did not answer.
 */
export const serviceInstance = z.object({
  /** Where the gateway reaches it (`<SERVICE>_SERVICE_URLS`); null for the process that answered. */
  url: z.string().nullable(),
  state: z.enum(['ready', 'up', 'down']),
  /** `<host name>:<pid>`. */
  id: z.string().nullable(),
  /** Every service the process runs (one process may run several). */
  services: z.array(z.string()),
  version: z.string().nullable(),
  startedAt: isoTime.nullable(),
  uptimeSeconds: z.number().nullable(),
  /** Why it is not `ready`, in words. */
  problem: z.string().nullable(),
});
export type ServiceInstance = z.infer<typeof serviceInstance>;

/**
 * `GET /admin/health`: this deployment's parts and whether each answers. Answered by the gateway
 * (`view: "gateway"`: every instance of `<SERVICE>_SERVICE_URLS`, each asked with a short timeout)
 * or by the process running the sagas (`view: "process"`: itself, under each service it runs). The
 * bus, the databases and the lag are what that sagas process sees; null (and `problem` says why)
 * when the gateway got no answer from it.
 */
export const operatorHealth = z.object({
  at: isoTime,
  view: z.enum(['process', 'gateway']),
  transport: z.object({ name: z.string(), up: z.boolean(), replay: z.boolean() }).nullable(),
  databases: z.array(z.object({ schemas: z.array(z.string()), up: z.boolean() })),
  services: z.array(
    z.object({
      name: z.string(),
      groups: z.array(z.string()),
      lag: z.number().nullable(),
      instances: z.array(serviceInstance),
    }),
  ),
  problem: z.string().nullable(),
});
export type OperatorHealth = z.infer<typeof operatorHealth>;

/** `POST /admin/groups/{group}/reset`: where the group was moved to, and its lag after the move. */
export const groupReset = z.object({ group: z.string(), to: z.string(), lag: z.number() });
export type GroupReset = z.infer<typeof groupReset>;

/** `GET /admin/analytics`: the analytics read model's figures, built from the order and payment events. */
export const analyticsFigures = z.object({
  hourly: z.array(z.object({ hour: isoTime, created: z.number(), completed: z.number(), cancelled: z.number() })),
  orders: z.number(),
  acceptanceSeconds: z.number().nullable(),
  deliverySeconds: z.number().nullable(),
  cancellations: z.array(z.object({ reason: z.string(), count: z.number() })),
  runners: z.array(z.object({ runnerId: uuid, orders: z.number(), earnedCents: z.number() })),
});
export type AnalyticsFigures = z.infer<typeof analyticsFigures>;
