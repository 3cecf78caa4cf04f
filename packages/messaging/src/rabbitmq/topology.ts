import { dlqTopic, GROUP_TOPICS, type TopicSpec, topicCatalog } from '@campusg/contracts';

/** Something the transport declares on the broker; every declaration is made again on each new connection. */
export type Declaration =
  | { kind: 'exchange'; name: string; type: string }
  | { kind: 'queue'; name: string; args: Record<string, unknown> }
  | { kind: 'bind'; queue: string; exchange: string; pattern: string };

const COMMAND_EXCHANGE = 'command_exchange';
const EVENT_EXCHANGE = 'event_exchange';
const DEAD_LETTER_EXCHANGE = 'dead_letter_exchange';
/** Where the members of a consumer group announce themselves (routing key: the group id). */
export const CONTROL_EXCHANGE = 'campusg_groups';

const DAY_MS = 86_400_000;
const DEFAULT_DLQ_RETENTION_MS = topicCatalog().find((t) => t.name.endsWith('_dlq'))?.retentionMs ?? 30 * DAY_MS;

/** The exchange of a topic: by the catalogue's naming, `*_dlq`, `*_commands`, or an event topic. */
export function rabbitExchangeOf(topic: string): string {
  if (topic.endsWith('_dlq')) return DEAD_LETTER_EXCHANGE;
  if (topic.endsWith('_commands')) return COMMAND_EXCHANGE;
  return EVENT_EXCHANGE;
}

/** The routing key of a record: `<topic>.<shard>.<type>`, e.g. `order_events.1.order.created`. */
export function rabbitRoutingKey(topic: string, shard: number, type: string | undefined): string {
  const t = type && type.length > 0 ? type.slice(0, 120) : '_';
  return `${topic}.${shard}.${t}`;
}

/**
 * The broker's names for one deployment (everything prefixed by its namespace) and what
 * `ensureTopics` declares: the exchanges, the dead-letter queues, and the configured groups' queues.
 */
export class RabbitTopology {
  constructor(
    private readonly ns: string,
    private readonly queueType: 'classic' | 'quorum',
    /** Consumer groups whose queues are declared up front, with their topics. */
    private readonly groups: Readonly<Record<string, readonly string[]>> = GROUP_TOPICS,
  ) {}

  /** An exchange's name on the broker. */
  exchange(name: string): string {
    return this.ns + name;
  }
  /** The queue of one shard of a group's topic. */
  groupQueue(groupId: string, topic: string, shard: number): string {
    return `${this.ns}${groupId}.${topic}.${shard}`;
  }
  /** Where the group's position in that queue is committed. */
  committedQueue(groupId: string, topic: string, shard: number): string {
    return `${this.groupQueue(groupId, topic, shard)}.committed`;
  }
  /** The queue that keeps every dead letter of a `<topic>_dlq` topic. */
  deadLetterQueue(dlq: string): string {
    return this.ns + dlq;
  }

  /** The exchange of a topic, namespaced. */
  exchangeOf(topic: string): string {
    return this.exchange(rabbitExchangeOf(topic));
  }

  /** The group a broker-dead-lettered message came from, by its queue `<ns><group>.<topic>.<shard>`. */
  groupOfQueue(queue: string, topic: string, shard: string): string {
    const suffix = `.${topic}.${shard}`;
    return queue.startsWith(this.ns) && queue.endsWith(suffix) ? queue.slice(this.ns.length, queue.length - suffix.length) : '';
  }

  /** The three topic exchanges and the control exchange of the group protocol. */
  exchanges(): Declaration[] {
    return [
      { kind: 'exchange', name: this.exchange(COMMAND_EXCHANGE), type: 'topic' },
      { kind: 'exchange', name: this.exchange(EVENT_EXCHANGE), type: 'topic' },
      { kind: 'exchange', name: this.exchange(DEAD_LETTER_EXCHANGE), type: 'topic' },
      { kind: 'exchange', name: this.exchange(CONTROL_EXCHANGE), type: 'direct' },
    ];
  }

  /** The queues of one group's topic: one per shard, bound by `<topic>.<shard>.#`, and their commit queues. */
  groupDeclarations(groupId: string, spec: TopicSpec): Declaration[] {
    const dlq = spec.name.endsWith('_dlq');
    const args: Record<string, unknown> = {
      'x-queue-type': this.queueType,
      // Never two consumers of one shard at once, whatever the members think (hand-over safety).
      'x-single-active-consumer': true,
      // Retention: what no member took in time is dead-lettered (main topics) or dropped (dead letters).
      'x-message-ttl': spec.retentionMs,
    };
    if (!dlq) {
      args['x-dead-letter-exchange'] = this.exchange(DEAD_LETTER_EXCHANGE);
      args['x-dead-letter-routing-key'] = rabbitRoutingKey(dlqTopic(spec.name), 0, 'dead-lettered');
    }
    const out: Declaration[] = [];
    for (let shard = 0; shard < spec.partitions; shard++) {
      const queue = this.groupQueue(groupId, spec.name, shard);
      out.push({ kind: 'queue', name: queue, args });
      out.push({ kind: 'bind', queue, exchange: this.exchangeOf(spec.name), pattern: `${spec.name}.${shard}.#` });
      // The commit: a one-message queue (a newer commit pushes the older one out).
      out.push({
        kind: 'queue',
        name: this.committedQueue(groupId, spec.name, shard),
        args: { 'x-queue-type': 'classic', 'x-max-length': 1 },
      });
    }
    return out;
  }

  /**
   * The queues a declared group had for topics it no longer reads (its list narrowed), with their
   * commit queues: left alone they would fill with messages nobody takes and dead-letter them at
   * the end of their retention. Nothing for a group the deployment does not declare.
   */
  retiredQueues(groupId: string, known: ReadonlyMap<string, TopicSpec>): string[] {
    const reads = this.groups[groupId];
    if (!reads) return [];
    const out: string[] = [];
    for (const spec of known.values()) {
      if (spec.name.endsWith('_dlq') || reads.includes(spec.name)) continue;
      for (let shard = 0; shard < spec.partitions; shard++)
        out.push(this.groupQueue(groupId, spec.name, shard), this.committedQueue(groupId, spec.name, shard));
    }
    return out;
  }

  /** The queue keeping every dead letter of a `<topic>_dlq` topic, bound by `<topic>_dlq.#`. */
  deadLetterDeclarations(spec: TopicSpec): Declaration[] {
    const queue = this.deadLetterQueue(spec.name);
    return [
      { kind: 'queue', name: queue, args: { 'x-queue-type': this.queueType, 'x-message-ttl': spec.retentionMs } },
      { kind: 'bind', queue, exchange: this.exchange(DEAD_LETTER_EXCHANGE), pattern: `${spec.name}.#` },
    ];
  }

  /**
   * What `ensureTopics(topics)` declares: the exchanges, a `<topic>_dlq` queue for every topic (each
   * topic has its dead-letter topic, in the list or not), and the queues of the configured consumer
   * groups for these topics. `known` gets the specs (with the implicit dead-letter topics).
   */
  plan(topics: TopicSpec[], known: Map<string, TopicSpec>): Declaration[] {
    const declarations = this.exchanges();
    for (const t of topics) known.set(t.name, { ...t, partitions: Math.max(t.partitions, known.get(t.name)?.partitions ?? 0) });
    const dlqs = new Set(topics.filter((t) => t.name.endsWith('_dlq')).map((t) => t.name));
    for (const t of topics) {
      if (t.name.endsWith('_dlq')) continue;
      const dlq = dlqTopic(t.name);
      dlqs.add(dlq);
      if (!known.has(dlq)) {
        known.set(dlq, { name: dlq, description: `dead letters of ${t.name}`, partitions: 1, retentionMs: DEFAULT_DLQ_RETENTION_MS });
      }
    }
    for (const dlq of dlqs) declarations.push(...this.deadLetterDeclarations(known.get(dlq)!));
    const names = new Set(topics.map((t) => t.name));
    for (const [groupId, groupTopics] of Object.entries(this.groups)) {
      for (const topic of groupTopics) if (names.has(topic)) declarations.push(...this.groupDeclarations(groupId, known.get(topic)!));
    }
    return declarations;
  }
}

/** The exchange and queue names of some declarations. */
export function declaredNames(declarations: Iterable<Declaration>): { exchanges: string[]; queues: string[] } {
  const exchanges = new Set<string>();
  const queues = new Set<string>();
  for (const d of declarations) {
    if (d.kind === 'exchange') exchanges.add(d.name);
    else if (d.kind === 'queue') queues.add(d.name);
  }
  return { exchanges: [...exchanges], queues: [...queues] };
}
