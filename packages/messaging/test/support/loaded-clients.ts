/**
 * Run in a child process (`node --import tsx loaded-clients.ts <what>`): loads one entry point of
 * the package, or opens one transport through `openTransport`, and prints which broker clients the
 * process has loaded, as JSON.
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { pino } from 'pino';

const CLIENTS = ['@platformatic/kafka', 'amqplib'] as const;

// Every module loaded from here on, CommonJS or ES module, as the loader hooks report it.
const loads: string[] = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (m: string) => {
  if (m !== 'flushed') loads.push(m);
});
register('./record-loads.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });

/** The clients among the modules loaded so far (once every load reported before this call has arrived). */
async function loadedClients(): Promise<string[]> {
  await new Promise<void>((resolve) => {
    port1.once('message', () => resolve());
    port1.postMessage('flush');
  });
  port1.close();
  return CLIENTS.filter((client) => loads.some((f) => f.includes(`/node_modules/${client}/`)));
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
  process.stdout.write(`${JSON.stringify({ loaded: await loadedClients(), transport: transport.name })}\n`);
} else {
  await import(what);
  process.stdout.write(`${JSON.stringify({ loaded: await loadedClients() })}\n`);
}
