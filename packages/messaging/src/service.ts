import type { Clock, Config, Db, IdGenerator, Logger, Metrics } from '@campusg/platform';
import type { MessageBus } from './message-bus.ts';

/** What every service is built from: injected, never read from globals. */
export interface ServiceDeps {
  config: Readonly<Config>;
  db: Db;
  bus: MessageBus;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  metrics: Metrics;
}
