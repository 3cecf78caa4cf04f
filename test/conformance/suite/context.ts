/** What every part of the conformance suite shares: the harness, the open transport, and test fixtures. */
import type { TopicSpec } from '@campusg/contracts';
import type { BatchHandler, Subscription, Transport, TransportCapabilities } from '@campusg/messaging';
import type { Db } from '@campusg/platform';
import type { Deferred } from './helpers.ts';

/** How a transport plugs into the suite. */
export interface TransportHarness {
  /**
   * What the transport declares it can do. Known before the transport is opened, so that a test
   * that needs a capability is reported as skipped *by declaration* (and the declaration itself is
   * checked against `transport.capabilities`).
   */
  readonly capabilities: TransportCapabilities;
  /** Opens the transport (once for the whole suite). */
  create(): Promise<Transport>;
  /**
   * Closes `transport` and opens it again on the same storage / broker (a process or broker restart).
   * Without it, the restart tests are reported as skipped.
   */
  restart?(transport: Transport): Promise<Transport>;
  /**
   * A database for the MessageBus inbox/outbox used by the dead-letter test (test 7). Each call may
   * return a fresh one; the suite closes what it gets. Default: an in-memory PGlite.
   */
  db?(): Promise<Db>;
  /** Called once after the transport has been closed at the end of the suite. */
  cleanup?(): Promise<void>;
  /** Partitions of the topics the suite creates (default 3; at least 2). */
  partitions?: number;
  /** How long a test waits for an expected delivery or assignment (default 15 s). */
  waitTimeoutMs?: number;
}

/** The suite's state and fixtures, as one test group sees them. */
export interface ConformanceContext {
  readonly harness: TransportHarness;
  /** The transport under test (another instance after `restart()`). */
  readonly transport: Transport;
  /** Partitions of the topics the suite creates. */
  readonly P: number;
  /** How long a test waits for an expected delivery or assignment. */
  readonly WAIT: number;
  /** What the transport declares: can a new group read retained history. */
  readonly replay: boolean;
  /** Topics created so far: re-ensured after a restart, as a service does at start. */
  readonly specs: TopicSpec[];
  /** Undone after each test, last first (gates are released before subscriptions close). */
  readonly teardown: Array<() => Promise<unknown> | unknown>;
  /** Handlers a test holds up, released before anything is closed (closing waits for batches in hand). */
  readonly gates: Deferred[];
  /** Creates a topic of its own for a test. */
  topic(partitions?: number): Promise<string>;
  /** Subscribes, and closes the subscription after the test. */
  subscribe(groupId: string, topics: string[], handleBatch: BatchHandler, options?: { ephemeral?: boolean }): Promise<Subscription>;
  /** Closes the transport and opens it again on the same storage or broker. */
  restart(): Promise<void>;
  /** Every `topic:partition` of a suite topic. */
  allPartitions(topic: string): string[];
  totalLag(groupId: string, topics: string[]): Promise<number>;
  /** Keys spread over every partition, so each member of a group has work. */
  keys(n: number, prefix?: string): string[];
}
