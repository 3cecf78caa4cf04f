import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'campusg-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'x'.repeat(32);

describe('configuration (runtime.md)', () => {
  it('runs everything on the embedded default with nothing set, with a secret kept in the data directory', () => {
    const c = loadConfig({ CAMPUSG_DATA_DIR: dir });
    expect(c.bus).toBe('embedded');
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.partitions).toBe(3);
    expect(c.orderAcceptTimeoutMs).toBe(1_800_000);
    expect(c.sagaStepTimeoutMs).toBe(30_000);
    expect(c.services).toHaveLength(8);
    expect(c.amqpQueueType).toBe('classic');
    expect(c.busChunkSize).toBe(50);
    expect(c.sagasInFlightLimit).toBe(64);
    expect(loadConfig({ CAMPUSG_DATA_DIR: dir, SAGAS_IN_FLIGHT_LIMIT: '0' }).sagasInFlightLimit).toBe(0);
    expect(() => loadConfig({ CAMPUSG_DATA_DIR: dir, SAGAS_IN_FLIGHT_LIMIT: '-1' })).toThrow(/SAGAS_IN_FLIGHT_LIMIT/);
    expect(c.pgliteWorker).toBe(true);
    expect(loadConfig({ CAMPUSG_DATA_DIR: dir, CAMPUSG_PGLITE_WORKER: 'false' }).pgliteWorker).toBe(false);
    expect(c.embeddedDurability).toBe('durable');
    expect(c.retention).toEqual({
      busLogMs: 604_800_000,
      inboxMs: 604_800_000,
      sagaHistoryMs: 2_592_000_000,
      auditLogMs: 2_592_000_000,
      idempotencyKeyMs: 604_800_000,
      intervalMs: 60_000,
      batch: 500,
    });
    // An inbox that forgets a message the log may still deliver again would let it be handled twice.
    expect(() => loadConfig({ CAMPUSG_DATA_DIR: dir, BUS_LOG_RETENTION_MS: '5000', INBOX_RETENTION_MS: '4000' })).toThrow(
      /INBOX_RETENTION_MS: must be at least BUS_LOG_RETENTION_MS/,
    );
    expect(loadConfig({ CAMPUSG_DATA_DIR: dir, CAMPUSG_EMBEDDED_DURABILITY: 'fast' }).embeddedDurability).toBe('fast');
    expect(() => loadConfig({ CAMPUSG_DATA_DIR: dir, CAMPUSG_EMBEDDED_DURABILITY: 'off' })).toThrow(/CAMPUSG_EMBEDDED_DURABILITY/);
    expect(c.authSecret).toBe(readFileSync(path.join(dir, 'auth-secret'), 'utf8').trim());
    // The same secret on the next start: sessions survive a restart.
    expect(loadConfig({ CAMPUSG_DATA_DIR: dir }).authSecret).toBe(c.authSecret);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the production settings', () => {
    const c = loadConfig({
      CAMPUSG_BUS: 'rabbitmq',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      AMQP_NAMESPACE: 'ns.',
      AMQP_QUEUE_TYPE: 'quorum',
      DATABASE_URL: 'postgres://u@h/db',
      PAYMENT_DATABASE_URL: 'postgres://u@h/payments',
      AUTH_SECRET: SECRET,
      CAMPUSG_SERVICES: 'payment,timer',
      CAMPUSG_PARTITIONS: '6',
    });
    expect(c.bus).toBe('rabbitmq');
    expect(c.amqpNamespace).toBe('ns.');
    expect(c.amqpQueueType).toBe('quorum');
    expect(c.serviceDatabaseUrls).toEqual({ payment: 'postgres://u@h/payments' });
    expect(c.services).toEqual(['payment', 'timer']);
    expect(c.partitions).toBe(6);
    expect(
      loadConfig({ CAMPUSG_BUS: 'kafka', KAFKA_BROKERS: 'a:9092, b:9092', AUTH_SECRET: SECRET, DATABASE_URL: 'postgres://u@h/db' }).kafka
        .brokers,
    ).toEqual(['a:9092', 'b:9092']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ CAMPUSG_BUS: 'nats' }, 'CAMPUSG_BUS'],
    [{ AMQP_QUEUE_TYPE: 'stream' }, 'AMQP_QUEUE_TYPE'],
    [{ CAMPUSG_PARTITIONS: '0' }, 'CAMPUSG_PARTITIONS'],
    [{ BUS_CHUNK_SIZE: '0' }, 'BUS_CHUNK_SIZE'],
    [{ CAMPUSG_PGLITE_WORKER: 'yes' }, 'CAMPUSG_PGLITE_WORKER'],
    [{ SAGA_STEP_TIMEOUT_MS: '-5' }, 'SAGA_STEP_TIMEOUT_MS'],
    [{ AUTH_SECRET: 'short' }, 'AUTH_SECRET'],
    [{ KAFKA_NAMESPACE: 'has space' }, 'KAFKA_NAMESPACE'],
    [{ CAMPUSG_BUS: 'kafka', AUTH_SECRET: SECRET }, 'KAFKA_BROKERS: required'],
    [{ CAMPUSG_BUS: 'rabbitmq', AUTH_SECRET: SECRET }, 'AMQP_URL: required'],
    [{ CAMPUSG_SERVICES: 'order' }, 'the embedded bus lives in one process'],
    [{ CAMPUSG_BUS: 'kafka', KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://u@h/db' }, 'AUTH_SECRET: required'],
  ])('refuses %o, naming %s', (env, named) => {
    let error: unknown;
    try {
      loadConfig({ CAMPUSG_DATA_DIR: dir, ...env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(named);
  });
});
