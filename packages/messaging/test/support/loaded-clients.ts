/**
 * Run in a child process (`node --import tsx loaded-clients.ts <what>`): loads one entry point of
 * the package, or opens one transport through `openTransport`, and prints which broker clients the
 * process has loaded, as JSON.
 */
import { createRequire } from 'node:module';
import { pino } from 'pino';

const CLIENTS = ['kafkajs', 'amqplib'] as const;
const require = createRequire(import.meta.url);

function loadedClients(): string[] {
  const files = Object.keys(require.cache);
  return CLIENTS.filter((client) => files.some((f) => f.includes(`/node_modules/${client}/`)));
}

const what = process.argv[2] ?? '';
if (what.startsWith('open:')) {
  const { openTransport } = await import('@campusg/messaging');
  const bus = what.slice('open:'.length) as 'embedded' | 'kafka' | 'rabbitmq';
  const settings = {
    bus,
    kafka: { brokers: ['127.0.0.1:1'], clientId: 'probe', namespace: '', ssl: false, sasl: undefined, replicationFactor: 1 },
    amqpUrl: 'amqp://127.0.0.1:1',
    amqpNamespace: '',
    amqpQueueType: 'classic' as const,
  };
  // Opening connects nothing: no database or broker is needed to see what gets loaded.
  const { transport } = await openTransport(settings, { db: {} as never, log: pino({ level: 'silent' }) });
  process.stdout.write(`${JSON.stringify({ loaded: loadedClients(), transport: transport.name })}\n`);
} else {
  await import(what);
  process.stdout.write(`${JSON.stringify({ loaded: loadedClients() })}\n`);
}
