import type { OutgoingRecord } from '../transport.ts';

interface Waiting {
  records: OutgoingRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Publishes through one idempotent producer, one request at a time: the producer numbers each
 * partition's records in order, and two requests in flight at once could reach the broker out of
 * that order and be refused. Whatever is published while a request is in flight waits and goes in
 * the next one, all together (one round trip for every relay that had records ready). A request
 * that fails fails every publish in it; each one's caller sends again.
 */
export class SendQueue {
  #waiting: Waiting[] = [];
  #sending = false;
  readonly #send: (records: OutgoingRecord[]) => Promise<void>;

  constructor(send: (records: OutgoingRecord[]) => Promise<void>) {
    this.#send = send;
  }

  publish(records: OutgoingRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ records, resolve, reject });
      if (!this.#sending) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await this.#send(batch.flatMap((w) => w.records));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.#sending = false;
  }
}
