import { setTimeout as sleep } from 'node:timers/promises';
import { type Channel, type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import type { Logger } from 'pino';
import { backoffDelay, Signal } from '../signal.ts';
import type { Declaration } from './topology.ts';

/** An open connection with the channels shared by the transport. */
export interface Link {
  conn: ChannelModel;
  generation: number;
  pub: ConfirmChannel | undefined;
  admin: Channel | undefined;
  control: Channel | undefined;
  /** The shared channels being opened or open. */
  pending: Partial<Record<'pub' | 'admin' | 'control', Promise<Channel>>>;
}

/** What a connection needs: where the broker is, how to name itself, and whom to tell when it is up. */
export interface ConnectionOptions {
  url: string;
  connectionName: string;
  log: Logger;
  /** How long the first connection may take before a call fails; reconnects never give up. */
  connectTimeoutMs: number;
  /** A connection is up (again), or its control channel was replaced: the group members join on it. */
  onLink: (link: Link) => void;
}

/**
 * The one AMQP connection of a transport: connects lazily, reconnects with backoff for as long as
 * the transport is open, declares the topology again on every new connection (a broker that lost
 * it gets it back), and shares one publishing, one admin and one control channel per connection.
 */
export class RabbitMqConnection {
  readonly #opts: ConnectionOptions;
  readonly #log: Logger;
  /** Everything declared so far, in order: declared again on every new connection. */
  readonly #declared = new Map<string, Declaration>();
  readonly #linkChanged = new Signal();
  #link: Link | undefined;
  #connecting: Promise<Link> | undefined;
  #everConnected = false;
  #generation = 0;
  #closed = false;

  constructor(options: ConnectionOptions) {
    this.#opts = options;
    this.#log = options.log;
  }

  /** The connection up right now, if any (never waits). */
  get current(): Link | undefined {
    return this.#link;
  }
  /** True while connected to the broker. */
  get connected(): boolean {
    return this.#link !== undefined;
  }
  /** True once the transport closed: nothing reconnects any more. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The open connection: the current one, or the next one (reconnecting with backoff). */
  connect(): Promise<Link> {
    if (this.#closed) return Promise.reject(new Error('rabbitmq: transport closed'));
    if (this.#link) return Promise.resolve(this.#link);
    this.#connecting ??= this.#establish().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #establish(): Promise<Link> {
    const first = !this.#everConnected;
    const deadline = Date.now() + this.#opts.connectTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new Error('rabbitmq: transport closed');
      let conn: ChannelModel | undefined;
      try {
        // TCP_NODELAY: one connection carries publishes, acks and position writes; with Nagle's
        // algorithm a small frame after another waits for the peer's delayed ACK (~40 ms a hop).
        conn = await connect(this.#opts.url, { noDelay: true, clientProperties: { connection_name: this.#opts.connectionName } });
        const link: Link = { conn, generation: ++this.#generation, pub: undefined, admin: undefined, control: undefined, pending: {} };
        conn.on('error', (err: Error) => this.#log.warn({ err }, 'rabbitmq: connection error'));
        conn.on('close', (err?: Error) => this.#lost(link, err));
        conn.on('blocked', (reason: string) => this.#log.warn({ reason }, 'rabbitmq: broker blocked publishing'));
        conn.on('unblocked', () => this.#log.info('rabbitmq: broker unblocked publishing'));
        // The topology first (a broker that lost it gets it back), then the subscriptions.
        await this.#apply(link, [...this.#declared.values()]);
        if (this.#closed) {
          await conn.close().catch(() => {});
          throw new Error('rabbitmq: transport closed');
        }
        this.#link = link;
        if (!first) this.#log.info({ attempt }, 'rabbitmq: reconnected; topology declared again, subscriptions resume');
        this.#everConnected = true;
        this.#linkChanged.notify();
        this.#opts.onLink(link);
        return link;
      } catch (err) {
        await conn?.close().catch(() => {});
        if (this.#closed) throw err;
        if (first && Date.now() > deadline) throw err;
        if (attempt % 10 === 0) this.#log.warn({ err, attempt }, 'rabbitmq: cannot connect; retrying');
        await sleep(backoffDelay(attempt, 100, 5000));
      }
    }
  }

  #lost(link: Link, err: Error | undefined): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#linkChanged.notify();
    if (this.#closed) return;
    this.#log.warn({ err }, 'rabbitmq: connection lost; reconnecting');
    void this.connect().catch((e) => this.#log.error({ err: e }, 'rabbitmq: reconnecting failed'));
  }

  /** Waits for a connection; undefined once `abort()` holds or the transport closed. */
  async waitLink(abort: () => boolean, timeoutMs = Number.POSITIVE_INFINITY): Promise<Link | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#link) return this.#link;
      if (this.#closed || abort()) return undefined;
      if (Date.now() > deadline) throw new Error(`rabbitmq: no connection to the broker within ${timeoutMs} ms`);
      const seen = this.#linkChanged.version;
      void this.connect().catch(() => {});
      await this.#linkChanged.wait(seen, Math.min(1000, Math.max(1, deadline - Date.now())));
    }
  }

  /** Wakes whoever waits for a connection (a stopping consumer). */
  nudge(): void {
    this.#linkChanged.notify();
  }

  /** A channel of the current connection, with its errors logged rather than thrown. */
  async channel(link: Link): Promise<Channel> {
    const ch = await link.conn.createChannel();
    ch.on('error', (err: Error) => this.#log.debug({ err }, 'rabbitmq: channel closed by the broker'));
    return ch;
  }

  /** One shared channel per connection, created once even when asked for concurrently. */
  #shared<C extends Channel>(link: Link, slot: 'pub' | 'admin' | 'control', create: () => Promise<C>, onClose?: () => void): Promise<C> {
    const existing = link.pending[slot];
    if (existing) return existing as Promise<C>;
    const p = create().then((ch) => {
      ch.on('close', () => {
        if (link.pending[slot] !== p) return;
        link.pending[slot] = undefined;
        link[slot] = undefined;
        onClose?.();
      });
      link[slot] = ch as never;
      return ch;
    });
    p.catch(() => {
      if (link.pending[slot] === p) link.pending[slot] = undefined;
    });
    link.pending[slot] = p;
    return p;
  }

  /** The publishing channel, in confirm mode. */
  pubChannel(link: Link): Promise<ConfirmChannel> {
    return this.#shared(link, 'pub', async () => {
      const ch = await link.conn.createConfirmChannel();
      ch.on('error', (err: Error) => this.#log.warn({ err }, 'rabbitmq: publishing channel closed by the broker'));
      return ch;
    });
  }

  #adminChannel(link: Link): Promise<Channel> {
    return this.#shared(link, 'admin', () => this.channel(link));
  }

  /** The channel of the group members' announcements. */
  controlChannel(link: Link): Promise<Channel> {
    return this.#shared(
      link,
      'control',
      () => this.channel(link),
      // Members lost their announcement queues with it: join again if the connection is still up
      // (when the connection went, the reconnect re-attaches them).
      () =>
        setImmediate(() => {
          if (this.#link === link && !this.#closed) this.#opts.onLink(link);
        }),
    );
  }

  /** Records declarations (declared again on every new connection) and declares them now. */
  async declare(declarations: Declaration[]): Promise<void> {
    for (const d of declarations) {
      const id = d.kind === 'bind' ? `b:${d.queue}|${d.exchange}|${d.pattern}` : `${d.kind[0]}:${d.name}`;
      this.#declared.set(id, d);
    }
    await this.#apply(await this.connect(), declarations);
  }

  /** Everything declared so far. */
  declared(): Iterable<Declaration> {
    return this.#declared.values();
  }

  /** Forgets every declaration (after the topology was deleted). */
  forget(): void {
    this.#declared.clear();
  }

  /**
   * Declares on the broker. All at once on one channel; if the broker refuses one (a queue that
   * exists with other arguments closes the channel) one by one, keeping what exists.
   */
  async #apply(link: Link, declarations: Declaration[]): Promise<void> {
    const order = { exchange: 0, queue: 1, bind: 2 };
    const list = [...declarations].sort((a, b) => order[a.kind] - order[b.kind]);
    try {
      const ch = await this.#adminChannel(link);
      await Promise.all(list.map((d) => declareOne(ch, d)));
      return;
    } catch (err) {
      if (!isChannelError(err)) throw err;
    }
    for (const d of list) {
      const ch = await this.#adminChannel(link);
      try {
        await declareOne(ch, d);
      } catch (err) {
        if (errorCode(err) !== 406 || d.kind === 'bind') throw err;
        // PRECONDITION_FAILED: it exists with other arguments (e.g. another retention). Arguments
        // of a queue never change; use a policy to change them. The existing one serves.
        this.#log.warn({ err, declaration: d }, 'rabbitmq: exists with other arguments; keeping the existing one');
      }
    }
  }

  /** Stops reconnecting and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => {});
    const link = this.#link;
    this.#link = undefined;
    this.#linkChanged.notify();
    await link?.conn.close().catch(() => {});
  }
}

async function declareOne(ch: Channel, d: Declaration): Promise<void> {
  if (d.kind === 'exchange') await ch.assertExchange(d.name, d.type, { durable: true });
  else if (d.kind === 'queue') await ch.assertQueue(d.name, { durable: true, arguments: d.args });
  else await ch.bindQueue(d.queue, d.exchange, d.pattern);
}

/** The AMQP reply code of an error (404 NOT_FOUND, 406 PRECONDITION_FAILED, …), if any. */
export function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** An error that closed a channel but left the connection up (404, 406, 403, …). */
function isChannelError(err: unknown): boolean {
  const code = errorCode(err);
  return typeof code === 'number' && code >= 400 && code < 500;
}
