// Experiment (not committed): does a commit that fails through a long broker outage get lost?
import pino from 'pino';
import { startPrivateKafka } from './servers.ts';

const root = process.argv[2]!;
const { KafkaTransport } = await import(`${root}/packages/messaging/src/kafka/kafka-transport.ts`);
const log = pino({ level: 'warn' });
const kafka = await startPrivateKafka();
const t = new KafkaTransport({ brokers: [kafka.brokers], clientId: 'exp', log, namespace: 'x.' });
await t.ensureTopics([{ name: 'exp', partitions: 1, retentionMs: 3600_000 }] as never);
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));
let handled = 0;
let firstSeen!: () => void;
const seen = new Promise<void>((r) => (firstSeen = r));
const sub = await t.subscribe({
  groupId: 'g',
  topics: ['exp'],
  handleBatch: async (records: unknown[]) => {
    handled += records.length;
    firstSeen();
    await gate;
  },
} as never);
await t.publish([{ topic: 'exp', key: 'k', value: Buffer.from('v'), headers: {} }]);
await seen;
const t0 = Date.now();
await kafka.stop();
release();
console.log('stopped; down for', process.env.DOWN_S ?? 45, 's');
await new Promise((r) => setTimeout(r, Number(process.env.DOWN_S ?? 45) * 1000));
await kafka.start();
console.log('back after', Date.now() - t0, 'ms');
for (let i = 0; i < 12; i++) {
  await new Promise((r) => setTimeout(r, 5000));
  const lag = await t.lag('g', ['exp']).catch((e: Error) => e.message);
  console.log(`+${(Date.now() - t0) / 1000}s handled=${handled} lag=${JSON.stringify(lag)}`);
}
await sub.close();
await t.close();
await kafka.dispose();
process.exit(0);
