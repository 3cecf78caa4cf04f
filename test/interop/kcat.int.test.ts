/**
 * Interoperability: the wire format is plain Kafka + JSON, usable from any language. Clients the
 * project did not write — Debian's `kcat` (librdkafka, C) and `python3-kafka` (kafka-python, run by
 * the system interpreter /usr/bin/python3) — read what the real platform publishes on Kafka, and a
 * command produced by kcat gets its reply from the platform's user service.
 *
 * Needs KAFKA_BROKERS, DATABASE_URL and kcat (`apt-get install -y kcat python3-kafka`); skipped
 * without them, failed instead under CAMPUSG_REQUIRE_KAFKA=1.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { decodeMessage } from '@campusg/contracts';
import { partitionFor } from '@campusg/messaging';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiClient, waitFor } from '../support/client.ts';
import { dropKafkaNamespace } from '../support/environment.ts';
import { describeWithKafka, hasPythonModule, kafkaBrokers, requireKafka } from '../support/kafka.ts';
import { startSystem, type TestSystem } from '../support/system.ts';

const BROKERS = kafkaBrokers.join(',');
const PYTHON = '/usr/bin/python3';
const READ_TOPIC_PY = path.join(import.meta.dirname, 'read_topic.py');
const PARTITIONS = 3;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const ENVELOPE_FIELDS = ['causation_id', 'correlation_id', 'message_id', 'payload', 'schema_version', 'source', 'timestamp', 'type'];

/** Runs a program (no shell), feeding `input` on stdin; rejects with its stderr on a non-zero exit. */
function run(cmd: string, args: string[], input?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: '/', stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${err}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** What kcat -J prints for one record. Headers come as a flat [name, value, name, value…] list. */
interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** A record as any client sees it: key, string headers and the JSON envelope. */
interface Seen {
  partition: number;
  offset: number;
  key: string | null;
  headers: Record<string, string>;
  envelope: WireEnvelope;
}

/** The envelope as a foreign client decodes it: plain JSON (docs/messages.md, "Envelope"). */
interface WireEnvelope {
  message_id: string;
  type: string;
  correlation_id: string;
  causation_id: string | null;
  timestamp: string;
  source: string;
  schema_version: number;
  payload: { order_id?: string; [field: string]: unknown };
}

/** Reads a whole topic, start to current end, with `kcat -C -e -J` and decodes every envelope. */
async function kcatRead(topic: string): Promise<Seen[]> {
  const out = await run('kcat', ['-C', '-b', BROKERS, '-t', topic, '-o', 'beginning', '-e', '-J', '-q']);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const r = JSON.parse(line) as KcatRecord;
      const headers: Record<string, string> = {};
      for (let i = 0; i + 1 < (r.headers ?? []).length; i += 2) headers[r.headers![i]!] = r.headers![i + 1]!;
      return { partition: r.partition, offset: r.offset, key: r.key, headers, envelope: JSON.parse(r.payload ?? 'null') };
    });
}

/** The same with kafka-python under Debian's system Python (not the pyenv one first on PATH). */
async function pythonRead(topic: string): Promise<Seen[]> {
  const out = await run(PYTHON, ['-I', READ_TOPIC_PY, BROKERS, topic, '10000']);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Seen);
}

/** What every client must find in a record of the platform: docs/messages.md, "Envelope". */
function expectWellFormed(r: Seen): void {
  const e = r.envelope;
  expect(Object.keys(e).sort()).toEqual(ENVELOPE_FIELDS);
  expect(e.message_id).toMatch(UUID);
  expect(e.correlation_id).toMatch(UUID);
  if (e.causation_id !== null) expect(e.causation_id).toMatch(UUID);
  expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp);
  expect(e.schema_version).toBe(1);
  expect(typeof e.source).toBe('string');
  expect(typeof e.payload).toBe('object');
  // headers repeat type and message_id and carry a W3C traceparent
  expect(r.headers.type).toBe(e.type);
  expect(r.headers.message_id).toBe(e.message_id);
  const trace = TRACEPARENT.exec(r.headers.traceparent ?? '');
  expect(trace, `traceparent ${r.headers.traceparent}`).not.toBeNull();
  expect(trace![1]).not.toBe('0'.repeat(32));
  expect(trace![2]).not.toBe('0'.repeat(16));
  // and the project's own decoder agrees it is a valid message
  expect(decodeMessage(JSON.stringify(e)).ok).toBe(true);
}

describeWithKafka('kafka interoperability (kcat, python3-kafka)', { database: true, tools: ['kcat'] }, () => {
  const namespace = `interop${process.pid}${Date.now().toString(36)}.`;
  let sys: TestSystem;
  let customer: ApiClient;
  let orderId: string;

  beforeAll(async () => {
    // The real platform, every service in this process, on Kafka + a fresh PostgreSQL database.
    sys = await startSystem({ KAFKA_NAMESPACE: namespace, CAMPUSG_PARTITIONS: String(PARTITIONS) }, {}, 'kafka');
    customer = await (await sys.client().register('Ivy')).addCard();
    const created = await customer.createOrder();
    orderId = created.orderId;
    // The create-order saga has run to its end: its order events are on the broker.
    expect((await customer.saga(created.sagaId)).status).toBe('COMPLETED');
  }, 90_000);

  afterAll(async () => {
    await sys?.close();
    await dropKafkaNamespace(kafkaBrokers, namespace, { clientId: 'campusg-interop-cleanup', timeoutMs: 5000 });
  });

  it('kcat reads order_events: a JSON envelope, keyed by the order id, with type, message_id and traceparent headers', async () => {
    const records = await kcatRead(`${namespace}order_events`);
    const mine = records.filter((r) => r.envelope?.payload?.order_id === orderId);
    expect(mine.map((r) => r.envelope.type)).toEqual(['order.created', 'order.status_updated']);
    for (const r of mine) {
      expectWellFormed(r);
      expect(r.key).toBe(orderId);
      expect(r.envelope.source).toBe('order-service');
      // one key, one partition: the one Kafka's default (murmur2) partitioner picks for it
      expect(r.partition).toBe(partitionFor(`${namespace}order_events`, orderId, PARTITIONS));
    }
    const [created, updated] = mine;
    expect(created!.envelope.payload).toMatchObject({
      order_id: orderId,
      customer_id: customer.user.id,
      status: 'PENDING',
      total_cents: 1380,
    });
    expect(updated!.envelope.payload).toMatchObject({ order_id: orderId, status: 'CREATED', previous_status: 'PENDING' });
    // both belong to the create-order saga: one correlation id, one trace
    expect(updated!.envelope.correlation_id).toBe(created!.envelope.correlation_id);
    expect(TRACEPARENT.exec(updated!.headers.traceparent!)![1]).toBe(TRACEPARENT.exec(created!.headers.traceparent!)![1]);
    expect(updated!.offset).toBeGreaterThan(created!.offset);
  });

  const python = hasPythonModule('kafka');
  it.skipIf(!python && !requireKafka)(
    `python3-kafka (system Python) reads and decodes the same records${python ? '' : ' (python3-kafka not installed)'}`,
    async () => {
      if (!python) throw new Error(`CAMPUSG_REQUIRE_KAFKA=1 but ${PYTHON} cannot import kafka: apt-get install -y python3-kafka`);
      const topic = `${namespace}order_events`;
      const [viaPython, viaKcat] = await Promise.all([pythonRead(topic), kcatRead(topic)]);
      const mine = viaPython.filter((r) => r.envelope?.payload?.order_id === orderId);
      expect(mine.map((r) => r.envelope.type)).toEqual(['order.created', 'order.status_updated']);
      for (const r of mine) {
        expectWellFormed(r);
        expect(r.key).toBe(orderId);
      }
      // two clients, one wire format: the same records, byte for byte once decoded
      const byOffset = (a: Seen, b: Seen) => a.partition - b.partition || a.offset - b.offset;
      expect(viaPython.sort(byOffset)).toEqual(viaKcat.sort(byOffset));
    },
  );

  it('a get_payment_info command produced with kcat is answered on user_events (causation_id = its message_id)', async () => {
    const send = async (userId: string) => {
      const messageId = crypto.randomUUID();
      const correlationId = crypto.randomUUID();
      const key = crypto.randomUUID();
      const envelope = {
        message_id: messageId,
        type: 'get_payment_info',
        correlation_id: correlationId,
        causation_id: null,
        timestamp: new Date().toISOString(),
        source: 'kcat',
        schema_version: 1,
        payload: { user_id: userId },
      };
      const traceparent = `00-${correlationId.replaceAll('-', '')}-${messageId.replaceAll('-', '').slice(0, 16)}-01`;
      // murmur2, as Kafka's Java client and the platform partition keys (librdkafka's default is CRC32).
      await run(
        'kcat',
        [
          '-P',
          '-b',
          BROKERS,
          '-t',
          `${namespace}user_commands`,
          '-k',
          key,
          '-H',
          'type=get_payment_info',
          '-H',
          `message_id=${messageId}`,
        ].concat(['-H', `traceparent=${traceparent}`, '-X', 'partitioner=murmur2_random', '-X', 'acks=all']),
        `${JSON.stringify(envelope)}\n`,
      );
      return { messageId, correlationId, key };
    };
    const unknown = await send(crypto.randomUUID());
    const known = await send(customer.user.id);

    const replyTo = async (command: { messageId: string }) =>
      waitFor(
        async () => (await kcatRead(`${namespace}user_events`)).find((r) => r.envelope?.causation_id === command.messageId),
        `the reply to ${command.messageId} on user_events`,
        30_000,
      );
    const [failed, retrieved] = await Promise.all([replyTo(unknown), replyTo(known)]);

    for (const [reply, command] of [
      [failed, unknown],
      [retrieved, known],
    ] as const) {
      expectWellFormed(reply);
      expect(reply.envelope.correlation_id).toBe(command.correlationId);
      expect(reply.envelope.source).toBe('user-service');
      expect(reply.key).toBe(command.key);
      expect(reply.partition).toBe(partitionFor(`${namespace}user_events`, command.key, PARTITIONS));
    }
    expect(failed.envelope.type).toBe('user.payment_info_failed');
    expect(failed.envelope.payload).toMatchObject({ code: 'USER_NOT_FOUND' });
    expect(retrieved.envelope.type).toBe('user.payment_info_retrieved');
    expect(retrieved.envelope.payload).toMatchObject({ user_id: customer.user.id, card: { last4: '4242' } });
    expect(retrieved.envelope.payload.payment_method_token).toEqual(expect.any(String));
  });
});
