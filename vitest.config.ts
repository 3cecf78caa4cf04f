import { defineConfig } from 'vitest/config';
import SharedDeploymentFirst from './test/support/sequencer.ts';

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
/**
 * With a Temporal server, the saga lifecycle suites and the kill -9 test run again with the sagas on
 * Temporal, and the engine's own suites (test/temporal/) run on Kafka and RabbitMQ where those are set.
 */
const temporal = Boolean(process.env.TEMPORAL_ADDRESS);
/**
 * Files that run one at a time, after the rest (a project with `maxWorkers: 1` runs in vitest's final,
 * sequential group): those that start the production topology (thirteen processes), which beside
 * another such file or the PGlite suites keep two cores saturated for minutes (a process then takes
 * longer to start than a test waits); and the load tests, which measure what the platform does at a
 * rate over wall time, and would measure the files beside them instead. A single platform process
 * on Kafka or with Temporal runs beside the rest.
 */
const TOPOLOGY_FAULTS = ['test/faults/kafka-topology.faults.e2e.test.ts', 'test/faults/kafka-infra.faults.e2e.test.ts'];
const LOAD = ['test/load/**/*.test.ts'];
const oneAtATime = { maxWorkers: 1 } as const;

export default defineConfig({
  test: {
    // The web app's own tests are pure functions (its pages are driven by test/browser/).
    exclude: ['**/node_modules/**', 'apps/web/src/**', 'apps/web/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The CLI compiled once, for the platform processes tests start (test/support/cli-bundle.ts).
    globalSetup: ['test/support/global-setup.ts'],
    // On the production topology the files that share one deployment run first (test/support/sequencer.ts).
    sequence: { sequencer: SharedDeploymentFirst },
    // The machine has two cores; PGlite instances are memory-hungry.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'embedded', include: ALL, exclude: ['test/temporal/**', ...TOPOLOGY_FAULTS, ...LOAD] } },
      { extends: true, test: { name: 'topology-faults', include: TOPOLOGY_FAULTS, ...oneAtATime } },
      { extends: true, test: { name: 'load', include: LOAD, ...oneAtATime } },
      ...(kafka
        ? [
            {
              extends: true as const,
              // One worker runs the files in turn (isolate: false), so those that may share a deployment share one
              // (startSharedSystem): starting the topology is most of such a file's time. Not isolated, the project
              // needs a group of its own (vitest puts only isolated one-at-a-time files in its final group): it runs
              // after the files that run side by side, before that final group.
              test: {
                name: 'kafka',
                include: ['test/e2e/**/*.e2e.test.ts'],
                env: { CAMPUSG_E2E_BUS: 'topology' },
                isolate: false,
                sequence: { groupOrder: 1 },
                ...oneAtATime,
              },
            },
            // The operator console once on Kafka (one process: the browser drives the same pages).
            {
              extends: true as const,
              test: {
                name: 'kafka-console',
                include: ['test/browser/console.e2e.test.ts'],
                env: { CAMPUSG_E2E_BUS: 'kafka' },
              },
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
                  'test/faults/embedded-crash.e2e.test.ts',
                ],
                env: { CAMPUSG_E2E_SAGA_ENGINE: 'temporal' },
              },
            },
            // The engine on Kafka (the topology) and on RabbitMQ.
            {
              extends: true as const,
              test: {
                name: 'temporal-brokers',
                include: ['test/temporal/**/*.e2e.test.ts'],
                env: { CAMPUSG_E2E_SAGA_ENGINE: 'temporal' },
                ...oneAtATime,
              },
            },
          ]
        : []),
    ],
  },
});
