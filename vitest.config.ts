import { defineConfig } from 'vitest/config';

const ALL = [
  'packages/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'sagas/test/**/*.test.ts',
  'apps/*/test/**/*.test.ts',
  'test/**/*.test.ts',
];
/** With a broker and a database server, the e2e suites run again on the production topology: one process per service, Kafka, PostgreSQL. */
const kafka = Boolean(process.env.KAFKA_BROKERS && process.env.DATABASE_URL);
/** With a RabbitMQ broker, the e2e suites run on the one-process platform over RabbitMQ too. */
const rabbitmq = Boolean(process.env.AMQP_URL);
/** With a Temporal server, the saga lifecycle suites run again with the sagas on Temporal. */
const temporal = Boolean(process.env.TEMPORAL_ADDRESS);

export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', 'apps/web/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The machine has two cores; PGlite instances are memory-hungry.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'embedded', include: ALL } },
      ...(kafka
        ? [
            {
              extends: true as const,
              test: { name: 'kafka', include: ['test/e2e/**/*.e2e.test.ts'], env: { CAMPUSG_E2E_BUS: 'topology' } },
            },
            // The operator console once on Kafka (one process: the browser drives the same pages).
            {
              extends: true as const,
              test: { name: 'kafka-console', include: ['test/browser/console.e2e.test.ts'], env: { CAMPUSG_E2E_BUS: 'kafka' } },
            },
          ]
        : []),
      ...(rabbitmq
        ? [
            {
              extends: true as const,
              test: { name: 'rabbitmq', include: ['test/e2e/**/*.e2e.test.ts'], env: { CAMPUSG_E2E_BUS: 'rabbitmq' } },
            },
          ]
        : []),
      ...(temporal
        ? [
            {
              extends: true as const,
              test: {
                name: 'temporal',
                include: [
                  'test/e2e/order-lifecycle.e2e.test.ts',
                  'test/e2e/acceptance-window.e2e.test.ts',
                ],
                env: { CAMPUSG_E2E_SAGA_ENGINE: 'temporal' },
              },
            },
          ]
        : []),
    ],
  },
});
