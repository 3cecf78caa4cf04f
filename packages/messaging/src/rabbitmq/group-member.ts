import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { BatchHandler, SubscribeOptions } from '../transport.ts';
import type { Link } from './connection.ts';
import type { RabbitMqTransport } from './rabbitmq-transport.ts';
import { ShardWorker } from './shard-worker.ts';
import { CONTROL_EXCHANGE } from './topology.ts';

interface Announcement {
  v: 1;
  kind: 'hello' | 'beat' | 'bye';
  member: string;
  topics: string[];
}

/**
 * One subscription: a member of its consumer group. Members announce themselves on the control
 * exchange (hello on joining, a beat every second, bye on leaving), so every member knows the live
 * members and computes the same assignment: shard p of a topic goes to the (p mod n)-th member
 * subscribed to it. Each member consumes only its shards; `x-single-active-consumer` on the queues
 * makes a hand-over exact even while two members' views still differ.
 */
export class GroupMember {
  readonly id: string;
  readonly groupId: string;
  readonly topics: string[];
  readonly handleBatch: BatchHandler;
  readonly #bus: RabbitMqTransport;
  readonly #peers = new Map<string, { topics: string[]; seen: number }>();
  readonly #workers = new Map<string, ShardWorker>();
  readonly #stopping = new Map<string, Promise<void>>();
  #control: { link: Link; ch: Channel; queue: string; consumerTag: string } | undefined;
  #attaching: Promise<void> | undefined;
  #joined = false;
  #closing: Promise<void> | undefined;
  #reconciling: Promise<void> = Promise.resolve();

  constructor(bus: RabbitMqTransport, options: SubscribeOptions) {
    this.#bus = bus;
    this.groupId = options.groupId;
    this.topics = [...new Set(options.topics)];
    this.handleBatch = options.handleBatch;
    // Older members sort first, so a joining member takes shards from the end of each range.
    this.id = `${Date.now().toString(36).padStart(9, '0')}-${crypto.randomUUID()}`;
  }

  /** The shards this member consumes now (`topic:shard`). */
  assignment(): string[] {
    return [...this.#workers.keys()].sort();
  }

  /** The worker of one of this member's shards (`topic:shard`), if it owns it. */
  worker(tp: string): ShardWorker | undefined {
    return this.#workers.get(tp);
  }

  /** Joins the group on `link` and takes this member's shards. */
  async join(link: Link): Promise<void> {
    await this.attach(link);
    // Listen for the others (they answer a hello at once) before taking any shard.
    await sleep(this.#bus.settings.discoveryMs);
    this.#joined = true;
    await this.#reconcile();
  }

  /** Opens this member's announcement queue on `link` and says hello (again, after a reconnect). */
  attach(link: Link): Promise<void> {
    if (this.#closing) return Promise.resolve();
    const run = async () => {
      if (this.#closing || (this.#control?.link === link && this.#control.ch === link.control)) return;
      const ch = await this.#bus.connection.controlChannel(link);
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(queue, this.#bus.names.exchange(CONTROL_EXCHANGE), this.groupId);
      const { consumerTag } = await ch.consume(queue, (m) => m && this.#onAnnouncement(m), { noAck: true });
      this.#control = { link, ch, queue, consumerTag };
      // Whoever we heard before the connection dropped gets a fresh session timeout.
      const now = Date.now();
      for (const p of this.#peers.values()) p.seen = now;
      this.#announce('hello');
    };
    const next = (this.#attaching ?? Promise.resolve()).then(run).catch((err) => {
      this.#bus.log.warn({ err, group: this.groupId }, 'rabbitmq: joining the group failed; retrying with the next heartbeat');
    });
    this.#attaching = next;
    return next;
  }

  #announce(kind: Announcement['kind']): void {
    const c = this.#control;
    if (!c) return;
    const body: Announcement = { v: 1, kind, member: this.id, topics: this.topics };
    try {
      c.ch.publish(this.#bus.names.exchange(CONTROL_EXCHANGE), this.groupId, Buffer.from(JSON.stringify(body)), { persistent: false });
    } catch (err) {
      this.#bus.log.debug({ err }, 'rabbitmq: announcement not sent');
    }
  }

  #onAnnouncement(m: ConsumeMessage): void {
    let a: Announcement;
    try {
      a = JSON.parse(m.content.toString('utf8')) as Announcement;
    } catch {
      return;
    }
    if (a?.v !== 1 || typeof a.member !== 'string' || a.member === this.id || this.#closing) return;
    if (a.kind === 'bye') {
      if (this.#peers.delete(a.member)) void this.#reconcile();
      return;
    }
    const known = this.#peers.has(a.member);
    this.#peers.set(a.member, { topics: Array.isArray(a.topics) ? a.topics : [], seen: Date.now() });
    if (a.kind === 'hello') this.#announce('beat'); // so the newcomer learns about us at once
    if (!known) void this.#reconcile();
  }

  /** Every heartbeat: announce, forget members not heard from, rejoin if the control queue is gone. */
  tick(): void {
    if (this.#closing) return;
    const c = this.#control;
    if (!c || c.link.control !== c.ch) {
      void this.#bus.connection
        .waitLink(() => true)
        .then((link) => link && this.attach(link))
        .catch(() => {});
      return;
    }
    this.#announce('beat');
    const limit = Date.now() - this.#bus.settings.sessionTimeoutMs;
    let changed = false;
    for (const [id, p] of this.#peers) {
      if (p.seen < limit) {
        this.#peers.delete(id);
        changed = true;
      }
    }
    if (changed) void this.#reconcile();
  }

  /** Starts the workers of the shards this member should own and stops the others. */
  #reconcile(): Promise<void> {
    const run = async () => {
      if (!this.#joined || this.#closing) return;
      const members = [[this.id, this.topics] as const, ...[...this.#peers].map(([id, p]) => [id, p.topics] as const)].sort((a, b) =>
        a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
      );
      const desired = new Set<string>();
      for (const topic of this.topics) {
        const eligible = members.filter(([, topics]) => topics.includes(topic)).map(([id]) => id);
        const n = this.#bus.partitionsOf(topic);
        for (let p = 0; p < n; p++) if (eligible[p % eligible.length] === this.id) desired.add(`${topic}:${p}`);
      }
      for (const tp of [...this.#workers.keys()]) if (!desired.has(tp)) this.#revoke(tp);
      for (const tp of desired) {
        if (this.#workers.has(tp)) continue;
        const [topic, shard] = splitTp(tp);
        const worker = new ShardWorker(this.#bus, this, topic, shard);
        this.#workers.set(tp, worker);
        worker.start(this.#stopping.get(tp));
      }
    };
    this.#reconciling = this.#reconciling.then(run, run).catch((err) => {
      this.#bus.log.error({ err, group: this.groupId }, 'rabbitmq: assigning shards failed');
    });
    return this.#reconciling;
  }

  #revoke(tp: string): void {
    const worker = this.#workers.get(tp);
    if (!worker) return;
    this.#workers.delete(tp);
    const stopped = worker.stop().finally(() => {
      if (this.#stopping.get(tp) === stopped) this.#stopping.delete(tp);
    });
    this.#stopping.set(tp, stopped);
  }

  /** Says bye, stops the workers after their batches in hand, and leaves the control exchange. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Bye first: the others take the shards over at once (single active consumer holds them
      // back until this member's channels close, after the batches in hand).
      this.#announce('bye');
      await this.#reconciling.catch(() => {});
      for (const tp of [...this.#workers.keys()]) this.#revoke(tp);
      await Promise.all([...this.#stopping.values()]);
      await this.#attaching?.catch(() => {});
      const c = this.#control;
      this.#control = undefined;
      if (c) await c.ch.cancel(c.consumerTag).catch(() => {}); // auto-delete removes the queue
      this.#bus.removeMember(this);
    })();
    return this.#closing;
  }
}

function splitTp(tp: string): [string, number] {
  const i = tp.lastIndexOf(':');
  return [tp.slice(0, i), Number(tp.slice(i + 1))];
}
