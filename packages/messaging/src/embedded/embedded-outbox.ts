import type { Sql } from '@campusg/platform';
import type { Outbox, OutboxReceipt } from '../outbox.ts';
import type { OutgoingRecord } from '../transport.ts';
import type { EmbeddedTransport } from './embedded-transport.ts';

/** On the embedded bus the log is in the same database: the outbox write *is* the publish. */
export class EmbeddedOutbox implements Outbox {
  constructor(private readonly transport: EmbeddedTransport) {}
  async add(tx: Sql, records: OutgoingRecord[]): Promise<OutboxReceipt> {
    const written = await this.transport.appendIn(tx, records, { outbox: true });
    // A rolled-back append is found out by the next one (see log-offsets.ts): nothing to hand back.
    return { wake: () => this.transport.notifyAppended(written), abandon: () => {}, published: async () => true };
  }
  async backlog(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}
}
